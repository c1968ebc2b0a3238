/**
 * How many writes a destination takes at once. A fixed limit never changes; an adaptive one (see
 * src/resilience/adaptive-concurrency.ts) moves while a run goes, and the engine's slots follow it.
 */
export interface ConcurrencyLimit {
  /** The limit in force now: at least 1, but for a cluster's share (src/runtime/shared-slots.ts), which may be 0. */
  current(): number;
  /** The most it can ever be: sizes connection pools and buffers. */
  readonly max: number;
  /** True when the limit follows what the destination answers. */
  readonly adaptive: boolean;
  /** Calls `listener` with the new limit each time it changes; returns the unsubscribe. */
  subscribe(listener: (limit: number) => void): () => void;
}

/** A limit that never changes. */
export function fixedConcurrency(limit: number): ConcurrencyLimit {
  const value = Math.max(1, Math.floor(limit));
  return { current: () => value, max: value, adaptive: false, subscribe: () => () => {} };
}

/** A number or a live limit, as a live limit. */
export function asConcurrencyLimit(limit: number | ConcurrencyLimit): ConcurrencyLimit {
  return typeof limit === 'number' ? fixedConcurrency(limit) : limit;
}
