/** What a destination's rate-limit headers say about the current quota. */
export interface RateLimitInfo {
  /** Requests allowed per window. */
  readonly limit?: number;
  /** Requests left in the current window. */
  readonly remaining?: number;
  /** Milliseconds until the window resets. */
  readonly resetMs?: number;
  /** Length of the quota window in ms, when the server states it (`RateLimit-Policy: 100;w=60`). */
  readonly windowMs?: number;
}

/** Epoch timestamps in seconds are above this (2001-09-09); any smaller Reset is seconds from now. */
const EPOCH_SECONDS_THRESHOLD = 1_000_000_000;
/** Epoch timestamps in milliseconds are above this. */
const EPOCH_MS_THRESHOLD = 1_000_000_000_000;

function number(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim().replace(/^"|"$/g, '');
  if (!/^\d+(?:\.\d+)?$/.test(trimmed)) return undefined;
  return Number(trimmed);
}

/**
 * Reset as ms from now: IETF drafts send seconds from now, many APIs (GitHub, X-RateLimit-Reset) send an
 * epoch timestamp. Values no plausible delay reaches (>= 1e9 s, i.e. 31 years) are read as epoch seconds,
 * >= 1e12 as epoch milliseconds.
 */
function resetToMs(value: number | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  if (value >= EPOCH_MS_THRESHOLD) return Math.max(0, value - now);
  if (value >= EPOCH_SECONDS_THRESHOLD) return Math.max(0, value * 1000 - now);
  return Math.round(value * 1000);
}

/** Parses `limit=100, remaining=50, reset=5` or the newer `"default";r=50;t=30` / `q=100;w=60` forms. */
function parseStructured(value: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!value) return out;
  for (const part of value.split(/[;,]/)) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const key = part.slice(0, eq).trim().toLowerCase();
    if (!(key in out)) out[key] = part.slice(eq + 1).trim();
  }
  return out;
}

/**
 * Reads `RateLimit-Limit/-Remaining/-Reset` (IETF draft), the combined `RateLimit:` header (both draft
 * generations), `RateLimit-Policy` (window) and `X-RateLimit-*`. Header names must be lower-case, as in
 * HttpResponse. Returns only the fields that were present and numeric.
 */
export function parseRateLimitHeaders(
  headers: Readonly<Record<string, string>>,
  now: number = Date.now(),
): RateLimitInfo {
  const combined = parseStructured(headers.ratelimit);
  const policy = parseStructured(headers['ratelimit-policy']);
  const limit =
    number(headers['ratelimit-limit']) ??
    number(combined.limit) ??
    number(policy.q) ??
    number(headers['x-ratelimit-limit']);
  const remaining =
    number(headers['ratelimit-remaining']) ??
    number(combined.remaining) ??
    number(combined.r) ??
    number(headers['x-ratelimit-remaining']);
  const resetMs = resetToMs(
    number(headers['ratelimit-reset']) ??
      number(combined.reset) ??
      number(combined.t) ??
      number(headers['x-ratelimit-reset']),
    now,
  );
  const windowSeconds = number(policy.w);
  const info: {
    limit?: number;
    remaining?: number;
    resetMs?: number;
    windowMs?: number;
  } = {};
  if (limit !== undefined) info.limit = limit;
  if (remaining !== undefined) info.remaining = remaining;
  if (resetMs !== undefined) info.resetMs = resetMs;
  if (windowSeconds !== undefined && windowSeconds > 0) info.windowMs = windowSeconds * 1000;
  return info;
}
