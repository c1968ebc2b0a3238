/** The limiter's view after a request, as RateLimit-* headers report it. */
export interface BucketState {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Seconds until the bucket is full again. */
  resetSeconds: number;
  /** Seconds until the next request would be allowed (0 when one is). */
  retryAfterSeconds: number;
}

/** A token bucket refilled continuously at `ratePerSecond`, holding at most one second's worth. */
export interface TokenBucket {
  take(): BucketState;
  peek(): BucketState;
  reset(): void;
}

/** Creates a token bucket; `now` returns milliseconds and can be a fake clock in tests. */
export function createTokenBucket(ratePerSecond: number, now: () => number): TokenBucket {
  const capacity = Math.max(1, ratePerSecond);
  let tokens = capacity;
  let last = now();
  const refill = () => {
    const t = now();
    tokens = Math.min(capacity, tokens + ((t - last) * ratePerSecond) / 1000);
    last = t;
  };
  const state = (allowed: boolean): BucketState => ({
    allowed,
    limit: ratePerSecond,
    remaining: Math.max(0, Math.floor(tokens)),
    resetSeconds: Math.ceil((capacity - tokens) / ratePerSecond),
    retryAfterSeconds: tokens >= 1 ? 0 : Math.max(1, Math.ceil((1 - tokens) / ratePerSecond)),
  });
  return {
    take() {
      refill();
      if (tokens < 1) return state(false);
      tokens -= 1;
      return state(true);
    },
    peek() {
      refill();
      return state(tokens >= 1);
    },
    reset() {
      tokens = capacity;
      last = now();
    },
  };
}
