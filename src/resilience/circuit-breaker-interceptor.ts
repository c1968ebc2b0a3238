import { errorKindOf } from '../core/errors.ts';
import type { HttpRequest, HttpResponse, Interceptor, Send } from '../core/http-types.ts';
import type { BreakerPermit, CircuitBreaker } from './circuit-breaker.ts';

/** Options of circuitBreakerInterceptor. */
export interface CircuitBreakerInterceptorOptions {
  /**
   * Whether an answer to this request shows the destination is alive again; other answers count neither
   * way. A lookup answering while every POST fails says nothing about taking orders. @default every request
   */
  readonly provesRecovery?: (request: HttpRequest) => boolean;
}

/**
 * Puts every request through the destination's breaker: waits while it is open, counts 5xx (except a
 * 503 that says when to come back) and transient network errors as failures (a connection that could not
 * be made as the destination being unreachable), anything else as the destination being alive.
 */
export function circuitBreakerInterceptor(
  breaker: CircuitBreaker,
  options: CircuitBreakerInterceptorOptions = {},
): Interceptor {
  const provesRecovery = options.provesRecovery ?? (() => true);
  return (next) => (req) => {
    // Closed (nearly always): no promise just to be let through.
    const permit = breaker.tryAcquire(req.signal);
    if (permit !== null) return sendCounted(permit, next, req, provesRecovery);
    return breaker.acquire(req.signal).then((granted) => sendCounted(granted, next, req, provesRecovery));
  };
}

/** The transport's mark of a failure before any byte reached the server (refused, unknown host...). */
function neverConnected(error: unknown): boolean {
  return (error as { details?: { sent?: unknown } } | null)?.details?.sent === false;
}

async function sendCounted(
  permit: BreakerPermit,
  next: Send,
  req: HttpRequest,
  provesRecovery: (request: HttpRequest) => boolean,
): Promise<HttpResponse> {
  let response: HttpResponse;
  try {
    response = await next(req);
  } catch (error) {
    if (req.signal?.aborted || errorKindOf(error) !== 'transient') permit.release();
    else if (neverConnected(error))
      permit.unreachable(error instanceof Error ? error.message : String(error));
    else permit.failure();
    throw error;
  }
  if (isOutage(response)) permit.failure();
  else if (provesRecovery(req)) permit.success();
  else permit.release();
  return response;
}

/**
 * A server-side failure: a 5xx that is not pacing (503 with Retry-After). When the stack classified the
 * response, its decision counts instead: a SOAP fault that refuses one record arrives as a 500 but says
 * nothing about the destination's health.
 */
function isOutage(response: HttpResponse): boolean {
  if (response.action) return response.action.type === 'retry' && response.status >= 500;
  const pacing = response.status === 503 && response.headers['retry-after'] !== undefined;
  return response.status >= 500 && !pacing;
}
