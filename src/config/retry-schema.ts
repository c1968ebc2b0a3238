import { z } from 'zod';
import { duration } from './field-types.ts';

/** Retry policy as code sees it. */
export interface RetryConfig {
  readonly maxAttempts: number;
  readonly maxElapsedMs: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  readonly maxRetryAfterMs: number;
}

/** Defaults for one side (source and destination differ). */
export interface RetryDefaults {
  readonly maxAttempts: number;
  readonly maxElapsed: string;
  readonly baseDelay: string;
  readonly maxDelay: string;
  readonly maxRetryAfter: string;
}

/** The `retry` block: exponential backoff with full jitter, bounded by attempts and elapsed time. */
export function retrySchema(defaults: RetryDefaults) {
  return z
    .strictObject({
      max_attempts: z
        .number()
        .int()
        .min(1)
        .max(100)
        .default(defaults.maxAttempts)
        .describe('Tries per request, the first included; 1 means no retry.'),
      max_elapsed: duration()
        .prefault(defaults.maxElapsed)
        .describe('Gives up once this much time has passed since the first try.'),
      base_delay: duration()
        .prefault(defaults.baseDelay)
        .describe('First backoff delay; doubles per attempt, with full jitter.'),
      max_delay: duration().prefault(defaults.maxDelay).describe('Cap on a single backoff delay.'),
      max_retry_after: duration()
        .prefault(defaults.maxRetryAfter)
        .describe('Longest Retry-After (or rate-limit reset) honoured; a longer one fails the request.'),
    })
    .prefault({})
    .describe('Retries of transient failures (5xx, 408, resets, timeouts) and 429s.');
}

/** Converts a parsed `retry` block to its camelCase form. */
export function toRetryConfig(parsed: z.output<ReturnType<typeof retrySchema>>): RetryConfig {
  return {
    maxAttempts: parsed.max_attempts,
    maxElapsedMs: parsed.max_elapsed,
    baseDelayMs: parsed.base_delay,
    maxDelayMs: parsed.max_delay,
    maxRetryAfterMs: parsed.max_retry_after,
  };
}
