import type { Interceptor } from '../core/http-types.ts';
import { actionOf, type ResponseRule } from '../http/classify.ts';
import { parseRateLimitHeaders } from '../http/rate-limit-headers.ts';
import type { AdaptiveLimiter } from './adaptive-limiter.ts';
import { type Clock, systemClock } from './clock.ts';

/** Options for the rate-limit interceptor. */
export interface RateLimitInterceptorOptions {
  /** Connector classification overrides, so a custom "rate_limited" status also slows the limiter. */
  rules?: readonly ResponseRule[];
  /** @default 300000 */
  maxRetryAfterMs?: number;
  clock?: Clock;
}

/** Sends every request through the limiter and feeds it what the destination answered. */
export function rateLimitInterceptor(
  limiter: AdaptiveLimiter,
  options: RateLimitInterceptorOptions = {},
): Interceptor {
  const clock = options.clock ?? systemClock;
  return (next) => async (req) => {
    // Unpaced with a free slot (the usual case): no promise just to be let through.
    const permit = limiter.tryAcquire() ?? (await limiter.acquire(req.signal));
    try {
      const response = await next(req);
      const now = clock.now();
      limiter.onQuota(parseRateLimitHeaders(response.headers, now));
      const action = actionOf({ response }, options.rules, {
        now,
        ...(options.maxRetryAfterMs === undefined ? {} : { maxRetryAfterMs: options.maxRetryAfterMs }),
      });
      if (action.type === 'rate_limited') limiter.onRateLimited(action.waitMs, permit.sentAt);
      else if (action.type === 'success') limiter.onSuccess();
      return response;
    } finally {
      permit.release();
    }
  };
}
