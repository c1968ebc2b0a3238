import type { Interceptor, Send } from '../core/http-types.ts';

/**
 * Wraps a transport's send in interceptors, outermost first: composeSend(t, [retry, breaker, limit, auth])
 * makes retry see every attempt's outcome and auth run on every attempt.
 */
export function composeSend(transport: Send | { send: Send }, interceptors: readonly Interceptor[]): Send {
  const base = typeof transport === 'function' ? transport : transport.send;
  return interceptors.reduceRight<Send>((next, interceptor) => interceptor(next), base);
}
