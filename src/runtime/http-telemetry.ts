import { formatDuration } from '../core/duration.ts';
import type { HttpObserver } from '../http/http-observer.ts';
import type { Logger } from '../observability/logger.ts';
import type { RunObserver as MetricsObserver } from '../observability/run-observer.ts';

/**
 * Adapts the HTTP layer's events to the metrics/report observer (a 429 is counted once, from its response)
 * and logs retries, rate-limit waits and network errors with their endpoint and attempt.
 */
export function toHttpObserver(
  observer: MetricsObserver | undefined,
  logger: (() => Logger) | undefined,
): HttpObserver {
  if (!observer) return {};
  return {
    onResponse: (e) =>
      observer.httpResponse({ endpoint: e.endpoint, status: e.status, durationMs: e.durationMs }),
    onNetworkError: (e) => {
      observer.httpResponse({ endpoint: e.endpoint, status: 'error', durationMs: 0 });
      logger?.().debug({ endpoint: e.endpoint, code: e.code }, 'network error');
    },
    onRetry: (e) => {
      observer.retry({ endpoint: e.endpoint, reason: e.reason });
      const delayMs = Math.round(e.delayMs);
      logger?.().info(
        { endpoint: e.endpoint, attempt: e.attempt, delayMs, reason: e.reason },
        `retrying a ${e.endpoint} request (attempt ${e.attempt + 1}) in ${formatDuration(delayMs)}: ${e.reason}`,
      );
    },
    onRateLimited: (e) =>
      logger?.().info(
        { endpoint: e.endpoint, waitMs: Math.round(e.waitMs) },
        `${e.endpoint} asked ferry to slow down`,
      ),
    onBreakerState: (e) => observer.breakerState(e),
    onLimiterWait: (e) => observer.limiterWait({ endpoint: e.endpoint, waitMs: e.waitMs }),
    onRateChange: (e) => observer.rate({ endpoint: e.endpoint, requestsPerSecond: e.rate }),
    onConcurrencyLimit: (e) => {
      observer.concurrencyLimit(e);
      const why = LIMIT_CHANGES[e.reason];
      if (why)
        logger?.().debug(
          { endpoint: e.endpoint, limit: e.limit, reason: e.reason },
          why(e.endpoint, e.limit),
        );
    },
  };
}

/** The limit's changes worth a log line: cuts, and a cut undone (the routine probes and baselines are not). */
const LIMIT_CHANGES: Partial<Record<string, (endpoint: string, limit: number) => string>> = {
  latency: (endpoint, limit) => `${endpoint} concurrency cut to ${limit} (latency rose)`,
  overload: (endpoint, limit) => `${endpoint} concurrency cut to ${limit} (the destination pushed back)`,
  background: (endpoint, limit) =>
    `${endpoint} concurrency back to ${limit}: it pushes back as much at a lower limit (not overload)`,
};
