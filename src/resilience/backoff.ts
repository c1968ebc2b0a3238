/** Settings for exponential backoff with full jitter. */
export interface BackoffOptions {
  /** Delay ceiling of the first retry. @default 250 */
  baseDelayMs?: number;
  /** No delay is ever longer than this. @default 30000 */
  maxDelayMs?: number;
  /** Uniform random in [0, 1); injectable for tests. @default Math.random */
  random?: () => number;
}

/**
 * Delay before retry number `retry` (1-based): uniform in [0, min(maxDelay, base * 2^(retry-1))).
 * Full jitter (rather than equal or decorrelated jitter) spreads synchronized clients out the most,
 * which is what a destination recovering from an outage needs.
 */
export function fullJitterDelay(retry: number, options: BackoffOptions = {}): number {
  const base = options.baseDelayMs ?? 250;
  const max = options.maxDelayMs ?? 30_000;
  const random = options.random ?? Math.random;
  const ceiling = Math.min(max, base * 2 ** Math.max(0, retry - 1));
  return Math.floor(random() * ceiling);
}
