import type { Dispatcher } from 'undici';
import { type AbortWatch, watchAbort } from '../core/abort-watch.ts';
import { formatDuration } from '../core/duration.ts';
import type { HttpRequest, HttpResponse } from '../core/http-types.ts';
import { targetOf } from './origin-of.ts';

/** Limits on one response. */
export interface ResponseLimits {
  /** Largest body accepted, declared or streamed; past it the request aborts with RESPONSE_TOO_LARGE. */
  readonly maxBytes: number;
  /** Total time for the whole body once headers arrived; past it the request aborts with BODY_DEADLINE. */
  readonly bodyDeadlineMs: number;
}

/** Set while the exchange runs, read by the caller when it fails: were headers already received? */
export interface ExchangeProgress {
  headersReceived: boolean;
}

/** The `code` of the error a body that missed its total deadline rejects with. */
export const BODY_DEADLINE = 'FERRY_BODY_DEADLINE';
/** The `code` of the error a body over the size cap rejects with; `declaredBytes` is its Content-Length. */
export const RESPONSE_TOO_LARGE = 'FERRY_RESPONSE_TOO_LARGE';

/** Header names arrive lower-cased; a repeated header is joined with ", " as RFC 9110 allows. */
function joinRepeated(raw: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name in raw) {
    const value = raw[name];
    if (value !== undefined) out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

function withCode(message: string, code: string, declaredBytes?: number): Error {
  const error = new Error(message);
  Object.assign(error, declaredBytes === undefined ? { code } : { code, declaredBytes });
  return error;
}

function aborted(): Error {
  return withCode('the request was aborted', 'ABORT_ERR');
}

function tooLarge(limits: ResponseLimits, declaredBytes?: number): Error {
  return withCode(`response body over ${limits.maxBytes} bytes`, RESPONSE_TOO_LARGE, declaredBytes);
}

/**
 * Sends one request through undici's low-level dispatch() and collects the whole response, within a size cap
 * and a total body deadline, abortable by the request's signal (also while it waits for a pooled socket).
 * request() does the same through a Readable body, a request handler and promises, which cost more CPU and
 * garbage per exchange (docs/performance.md). Rejects with
 * undici's error or an Error coded BODY_DEADLINE, RESPONSE_TOO_LARGE or (the signal aborted) ABORT_ERR.
 */
export function dispatchRequest(
  dispatcher: Dispatcher,
  req: HttpRequest,
  limits: ResponseLimits,
  progress: ExchangeProgress,
): Promise<HttpResponse> {
  return new Promise<HttpResponse>((resolve, reject) => {
    const { signal } = req;
    const chunks: Buffer[] = [];
    let size = 0;
    let status = 0;
    let headers: Record<string, string> = {};
    let deadline: ReturnType<typeof setTimeout> | undefined;
    let controller: Dispatcher.DispatchController | undefined;
    let done = false;
    let watch: AbortWatch | undefined;

    const finish = (): boolean => {
      if (done) return false;
      done = true;
      if (deadline !== undefined) clearTimeout(deadline);
      watch?.cancel();
      return true;
    };
    const fail = (error: Error): void => {
      if (finish()) reject(error);
    };
    function onAbort(): void {
      const error = aborted();
      // Still queued for a socket: onRequestStart aborts it before a byte is written.
      controller?.abort(error);
      fail(error);
    }
    if (signal?.aborted) {
      onAbort();
      return;
    }
    if (signal) watch = watchAbort(signal, onAbort);

    const { origin, path } = targetOf(req.url);
    dispatcher.dispatch(
      { origin, path, method: req.method, headers: req.headers, body: req.body ?? null },
      {
        onRequestStart(started) {
          controller = started;
          if (done) started.abort(aborted());
        },
        onResponseStart(started, statusCode, raw) {
          // 1xx informational answers come before the real one.
          if (statusCode < 200) return;
          progress.headersReceived = true;
          status = statusCode;
          headers = joinRepeated(raw);
          const declared = Number(headers['content-length']);
          if (declared > limits.maxBytes) {
            started.abort(tooLarge(limits, declared));
            return;
          }
          // Most answers arrive whole with their headers, and undici then ends them in this same read: the
          // deadline's timer is only armed for a body still incomplete once that read is done, which spares
          // a timer per request.
          queueMicrotask(() => {
            if (done) return;
            deadline = setTimeout(() => {
              started.abort(
                withCode(`body not complete within ${formatDuration(limits.bodyDeadlineMs)}`, BODY_DEADLINE),
              );
            }, limits.bodyDeadlineMs);
          });
        },
        onResponseData(started, chunk) {
          size += chunk.length;
          // Aborting closes the socket, so no more bytes are read.
          if (size > limits.maxBytes) started.abort(tooLarge(limits));
          else chunks.push(chunk);
        },
        onResponseEnd() {
          if (!finish()) return;
          const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
          resolve({ status, headers, body, url: req.url });
        },
        onResponseError(_controller, error) {
          fail(error);
        },
      },
    );
  });
}
