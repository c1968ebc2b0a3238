import { formatDuration } from '../core/duration.ts';
import { FerryError, hasErrorCode } from '../core/errors.ts';
import type { HttpRequest, HttpResponse, Interceptor, ResponseAction } from '../core/http-types.ts';
import { redactSecrets } from '../core/secret-registry.ts';
import { actionOf, type Outcome, type ResponseRule } from '../http/classify.ts';
import type { HttpObserver } from '../http/http-observer.ts';
import { fullJitterDelay } from './backoff.ts';
import { type Clock, systemClock } from './clock.ts';

/** How hard to try one request. */
export interface RetryPolicy {
  /** Attempts that may end in a transient failure (the first try included). @default 6 */
  maxAttempts?: number;
  /** Time budget for transient retries; rate-limit waits and breaker pauses are not counted. @default 300000 */
  maxElapsedMs?: number;
  /** @default 250 */
  baseDelayMs?: number;
  /** @default 30000 */
  maxDelayMs?: number;
  /** A Retry-After (or quota reset) longer than this is cut to it. @default 300000 */
  maxRetryAfterMs?: number;
  /** Rate-limited retries allowed, a budget of their own. @default 20 */
  maxRateLimitedRetries?: number;
  /** Header that makes a POST/PATCH safe to resend; matched case-insensitively. @default "idempotency-key" */
  idempotencyKeyHeader?: string | null;
  /**
   * Asked before resending a non-idempotent request after an ambiguous failure (it may have arrived):
   * the sink looks the record up and says whether a resend is safe.
   */
  canRetry?: (request: HttpRequest, outcome: Outcome) => boolean | Promise<boolean>;
  /** Connector classification overrides, as for classify(). */
  rules?: readonly ResponseRule[];
  /**
   * Monotonic total of ms the run spent paused (wire the circuit breaker's pausedMs), excluded from
   * maxElapsedMs so a pause does not use up records' retry budgets.
   */
  pausedMs?: () => number;
  random?: () => number;
  clock?: Clock;
  observer?: HttpObserver;
}

const IDEMPOTENT_METHODS = new Set(['GET', 'PUT', 'DELETE']);

/** A non-empty header of this (lower-case) name in any letter case. */
function hasHeader(headers: Readonly<Record<string, string>>, lower: string): boolean {
  for (const key of Object.keys(headers)) {
    if (key.length === lower.length && key.toLowerCase() === lower && headers[key] !== '') return true;
  }
  return false;
}

/**
 * False only when the failure proves the request was not processed: the connection never opened, or
 * the server refused it outright (429, 503 with Retry-After, 408).
 */
function isAmbiguous(outcome: Outcome, action: ResponseAction): boolean {
  if (action.type === 'rate_limited') return false;
  if ('response' in outcome) return outcome.response.status !== 408;
  const details = (outcome.error as { details?: { sent?: unknown } } | null)?.details;
  return details?.sent !== false;
}

/**
 * Retries transient failures with exponential backoff and full jitter, and rate-limited ones after the
 * wait they ask for (capped), each against its own budget. Sets `attempt` on every request it sends.
 *
 * Contract: resolves with the final response for every status it does not retry (success, 4xx, conflict,
 * refresh_auth...), so the caller classifies it again to decide reject/conflict/fail; also resolves with a
 * retryable response, or rethrows a retryable error, that it may not resend (a POST without idempotency
 * key whose failure is ambiguous and that canRetry did not clear). Throws FERRY_ERR_RETRIES_EXHAUSTED when a
 * budget runs out, and FERRY_ERR_ABORTED when the request's signal aborts (including during a wait).
 *
 * A hand-written loop rather than cockatiel's retry(): two budgets, Retry-After, the POST guard and the
 * "return the response, don't throw" contract would each need adapters around cockatiel's policy.
 */
export function retryInterceptor(policy: RetryPolicy = {}): Interceptor {
  const maxAttempts = policy.maxAttempts ?? 6;
  const maxElapsedMs = policy.maxElapsedMs ?? 300_000;
  const maxRetryAfterMs = policy.maxRetryAfterMs ?? 300_000;
  const maxRateLimitedRetries = policy.maxRateLimitedRetries ?? 20;
  const keyHeader = (
    policy.idempotencyKeyHeader === undefined ? 'idempotency-key' : policy.idempotencyKeyHeader
  )?.toLowerCase();
  const clock = policy.clock ?? systemClock;
  const backoff = {
    baseDelayMs: policy.baseDelayMs ?? 250,
    maxDelayMs: policy.maxDelayMs ?? 30_000,
    random: policy.random ?? Math.random,
  };
  const pausedMs = policy.pausedMs ?? (() => 0);

  return (next) => async (req) => {
    const started = clock.now();
    const pausedAtStart = pausedMs();
    let attempt = 0;
    let transientFailures = 0;
    let rateLimitedRetries = 0;
    let rateLimitedWaitMs = 0;
    const safeToResend =
      IDEMPOTENT_METHODS.has(req.method) || (keyHeader ? hasHeader(req.headers, keyHeader) : false);

    for (;;) {
      attempt++;
      let outcome: Outcome;
      try {
        outcome = { response: await next({ ...req, attempt }) };
      } catch (error) {
        if (
          req.signal?.aborted ||
          hasErrorCode(error, 'FERRY_ERR_ABORTED') ||
          hasErrorCode(error, 'FERRY_ERR_CIRCUIT_OPEN') ||
          hasErrorCode(error, 'FERRY_ERR_DESTINATION_UNREACHABLE')
        )
          throw error;
        outcome = { error };
      }
      const action = actionOf(outcome, policy.rules, { now: clock.now(), maxRetryAfterMs });
      const settle = (): HttpResponse => {
        if ('response' in outcome) return outcome.response;
        throw outcome.error;
      };
      if (action.type !== 'retry' && action.type !== 'rate_limited') return settle();
      if (!safeToResend && isAmbiguous(outcome, action)) {
        const allowed = policy.canRetry ? await policy.canRetry(req, outcome) : false;
        if (!allowed) return settle();
      }

      let delayMs: number;
      if (action.type === 'rate_limited') {
        rateLimitedRetries++;
        if (rateLimitedRetries > maxRateLimitedRetries)
          throw exhausted(
            req,
            outcome,
            action.reason,
            attempt,
            `${maxRateLimitedRetries} rate-limited retries`,
          );
        delayMs = Math.min(action.waitMs ?? fullJitterDelay(rateLimitedRetries, backoff), maxRetryAfterMs);
        rateLimitedWaitMs += delayMs;
        policy.observer?.onRateLimited?.({ endpoint: req.endpoint, waitMs: delayMs });
      } else {
        transientFailures++;
        if (transientFailures >= maxAttempts)
          throw exhausted(req, outcome, action.reason, attempt, `${maxAttempts} attempts`);
        delayMs = fullJitterDelay(transientFailures, backoff);
        const elapsed = clock.now() - started - rateLimitedWaitMs - (pausedMs() - pausedAtStart);
        if (elapsed + delayMs > maxElapsedMs)
          throw exhausted(
            req,
            outcome,
            action.reason,
            attempt,
            `${formatDuration(maxElapsedMs)} of retrying`,
          );
      }
      policy.observer?.onRetry?.({ endpoint: req.endpoint, attempt, delayMs, reason: action.reason });
      await clock.sleep(delayMs, req.signal);
    }
  };
}

function exhausted(
  req: HttpRequest,
  outcome: Outcome,
  reason: string,
  attempts: number,
  budget: string,
): FerryError {
  const url = redactSecrets(req.url);
  const status = 'response' in outcome ? outcome.response.status : undefined;
  // Kept short and redacted: enough for a dead letter to say what the destination answered.
  const responseBody =
    'response' in outcome
      ? redactSecrets(outcome.response.body.subarray(0, 2048).toString('utf8'))
      : undefined;
  return new FerryError(
    'FERRY_ERR_RETRIES_EXHAUSTED',
    `${req.method} ${url} (${req.endpoint}): gave up after ${attempts} attempts (budget: ${budget}); last: ${redactSecrets(reason)}`,
    {
      details: {
        url,
        endpoint: req.endpoint,
        attempts,
        reason: redactSecrets(reason),
        ...(status === undefined ? {} : { status, responseBody }),
      },
      ...('error' in outcome ? { cause: outcome.error } : {}),
    },
  );
}
