import type { Dispatcher } from 'undici';

/**
 * POSTs one order body through undici's `dispatch()`, the call ferry's transport makes, with the bearer token
 * and its idempotency key; resolves with the status once the whole response has been read.
 */
export function dispatchOrder(
  dispatcher: Dispatcher,
  url: URL,
  token: string,
  orderId: string,
  body: string,
): Promise<number> {
  return new Promise((resolve, reject) => {
    let status = 0;
    const handler: Dispatcher.DispatchHandler = {
      onRequestStart() {},
      onResponseStart(_controller, statusCode) {
        status = statusCode;
      },
      onResponseData() {},
      onResponseEnd() {
        resolve(status);
      },
      onResponseError(_controller, error) {
        reject(error);
      },
    };
    const headers = {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      'idempotency-key': orderId,
    };
    dispatcher.dispatch({ origin: url.origin, path: url.pathname, method: 'POST', headers, body }, handler);
  });
}
