/** Options for reading a Retry-After header. */
export interface RetryAfterOptions {
  /** Now in ms since the epoch, for the HTTP-date form. @default Date.now() */
  now?: number;
  /** Waits longer than this are cut down to it. @default 300000 (5 minutes) */
  maxRetryAfterMs?: number;
}

const DELTA_SECONDS = /^\s*(\d+(?:\.\d+)?)\s*$/;

/**
 * Reads `Retry-After` as delay-seconds ("120") or an HTTP-date ("Wed, 21 Oct 2015 07:28:00 GMT"),
 * returning the wait in ms (never negative, capped by maxRetryAfterMs), or undefined when absent or garbage.
 */
export function parseRetryAfter(
  value: string | undefined,
  options: RetryAfterOptions = {},
): number | undefined {
  if (value === undefined) return undefined;
  const cap = options.maxRetryAfterMs ?? 300_000;
  const seconds = DELTA_SECONDS.exec(value);
  let waitMs: number;
  if (seconds) {
    waitMs = Math.round(Number(seconds[1]) * 1000);
  } else {
    // Only accept something that looks like a date with a year, so "soon" or "1e3" are not guessed at.
    if (!/\d{4}/.test(value) || !/[a-z]/i.test(value)) return undefined;
    const at = Date.parse(value);
    if (Number.isNaN(at)) return undefined;
    waitMs = Math.max(0, at - (options.now ?? Date.now()));
  }
  if (!Number.isFinite(waitMs)) return undefined;
  return Math.min(waitMs, cap);
}
