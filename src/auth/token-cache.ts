import { type AuthObserver, createObserverSet } from './refreshable-auth-strategy.ts';

/** A freshly issued credential and how long it is good for. */
export interface IssuedToken {
  readonly value: string;
  readonly lifetimeMs: number;
}

/** Options for createTokenCache(). */
export interface TokenCacheOptions {
  /** Fetches or signs a new token; its errors propagate to every caller waiting on it. */
  issue(): Promise<IssuedToken>;
  /** Milliseconds since the epoch. @default Date.now */
  clock?: () => number;
  /** Renew this long before expiry (capped at half the lifetime so short tokens are not renewed on every call). @default 30000 */
  refreshSkewMs?: number;
  /** Told about every renewal after the first token. */
  observer?: AuthObserver;
}

/** An in-memory, single-flight token cache. */
export interface TokenCache {
  /** The current token, renewing it first when it is missing or within the skew of its expiry. */
  get(): Promise<string>;
  /**
   * Forces a new token after a 401. When `usedValue` is given and the cache already holds another token,
   * that one is newer than the rejected one and nothing is fetched. Joins a renewal already in flight.
   */
  refresh(usedValue?: string): Promise<void>;
  /** The cached token, if any, without renewing (for tests and the interceptor's comparisons). */
  peek(): string | undefined;
  /** What get() would answer at once: the cached token while it needs no renewal, else undefined. */
  fresh(): string | undefined;
  /** Subscribes to renewal events. */
  observe(observer: AuthObserver): () => void;
  /**
   * Starts a renewal now when there is no fresh token, without waiting. Its outcome goes to the next get():
   * a failure is reported there once, never retried behind the caller's back.
   */
  prime(): void;
  /** Forgets the token. */
  clear(): void;
}

interface Cached {
  readonly value: string;
  readonly refreshAtMs: number;
}

/**
 * Creates a token cache: memory only, renewed ahead of expiry, and at most one renewal in flight, so 100
 * concurrent callers at expiry (or 100 concurrent 401s for one token) cause exactly one token request.
 */
export function createTokenCache(options: TokenCacheOptions): TokenCache {
  const clock = options.clock ?? Date.now;
  const skewMs = options.refreshSkewMs ?? 30_000;
  const observers = createObserverSet(options.observer);
  let current: Cached | undefined;
  let inflight: Promise<string> | undefined;
  let everIssued = false;
  /** A renewal prime() started, kept until get() takes its outcome. */
  let primed: Promise<string> | undefined;

  function renew(reason: 'expiry' | 'unauthorized'): Promise<string> {
    if (inflight) return inflight;
    const startedAt = clock();
    const promise = (async () => {
      try {
        const token = await options.issue();
        const lifetime = Math.max(0, token.lifetimeMs);
        // Counted from before the request went out, so network time never makes us late.
        current = { value: token.value, refreshAtMs: startedAt + lifetime - Math.min(skewMs, lifetime / 2) };
        if (everIssued) observers.emit(reason);
        everIssued = true;
        return token.value;
      } finally {
        inflight = undefined;
      }
    })();
    inflight = promise;
    return promise;
  }

  const fresh = (): string | undefined =>
    current && clock() < current.refreshAtMs ? current.value : undefined;

  return {
    async get() {
      if (primed) {
        const outcome = primed;
        primed = undefined;
        return outcome;
      }
      return fresh() ?? renew('expiry');
    },
    prime() {
      if (primed || inflight || fresh() !== undefined) return;
      const outcome = renew('expiry');
      primed = outcome;
      // Handled here so a failure nobody asks for never becomes an unhandled rejection; a success needs
      // no keeping: get() finds the token fresh.
      outcome.then(
        () => {
          if (primed === outcome) primed = undefined;
        },
        () => {},
      );
    },
    async refresh(usedValue) {
      if (inflight) {
        await inflight;
        return;
      }
      if (usedValue !== undefined && current && current.value !== usedValue) return;
      // The server refused this token: never hand it out again, even if the renewal fails.
      current = undefined;
      await renew('unauthorized');
    },
    peek: () => current?.value,
    fresh,
    observe: (observer) => observers.add(observer),
    clear() {
      current = undefined;
      primed = undefined;
    },
  };
}
