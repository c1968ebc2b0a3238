import { errorKindOf } from '../core/errors.ts';
import type { Interceptor } from '../core/http-types.ts';
import type { CircuitBreaker } from './circuit-breaker.ts';

/**
 * Puts every request through the destination's breaker: waits while it is open, counts 5xx (except a
 * 503 that says when to come back) and transient network errors as failures, anything else as the
 * destination being alive.
 */
export function circuitBreakerInterceptor(breaker: CircuitBreaker): Interceptor {
  return (next) => async (req) => {
    const permit = await breaker.acquire(req.signal);
    let response: Awaited<ReturnType<typeof next>>;
    try {
      response = await next(req);
    } catch (error) {
      if (!req.signal?.aborted && errorKindOf(error) === 'transient') permit.failure();
      else permit.release();
      throw error;
    }
    const pacing = response.status === 503 && response.headers['retry-after'] !== undefined;
    if (response.status >= 500 && !pacing) permit.failure();
    else permit.success();
    return response;
  };
}
