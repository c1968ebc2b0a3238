import { hasErrorCode } from '../core/errors.ts';
import type { HttpRequest, HttpResponse, Interceptor } from '../core/http-types.ts';
import type { AdaptiveConcurrency, RequestOutcome } from './adaptive-concurrency.ts';

/**
 * Feeds an adaptive concurrency limit what each request met: its round trip, or that the destination pushed
 * back. It sits just above the classify layer, below the rate limiter and auth, so neither a limiter wait
 * nor a token fetch counts as the destination's latency.
 */
export function concurrencyInterceptor(
  limit: AdaptiveConcurrency,
  options: {
    /**
     * Which answers' round trips are judged. A sink's lookups answer in a fraction of its writes' time: mixed
     * in, a window with more of them would read as a latency that fell. @default every request
     */
    readonly measures?: (request: HttpRequest) => boolean;
  } = {},
): Interceptor {
  const measures = options.measures ?? (() => true);
  return (next) => async (request) => {
    const ticket = limit.start();
    let outcome: RequestOutcome = 'ignored';
    try {
      const response = await next(request);
      outcome = pushedBack(response) ? 'overloaded' : measures(request) ? 'answered' : 'unmeasured';
      return response;
    } catch (error) {
      outcome = overloadError(error) ? 'overloaded' : 'ignored';
      throw error;
    } finally {
      limit.finish(ticket, outcome);
    }
  };
}

/** 429 and 503 mean "too much" whatever the rules make of them; so does a rule's rate_limited. */
function pushedBack(response: HttpResponse): boolean {
  return response.status === 429 || response.status === 503 || response.action?.type === 'rate_limited';
}

/** A timeout or a reset is what an overloaded server does to a request it cannot take. */
function overloadError(error: unknown): boolean {
  return hasErrorCode(error, 'FERRY_ERR_HTTP_TIMEOUT') || hasErrorCode(error, 'FERRY_ERR_HTTP_TRANSIENT');
}
