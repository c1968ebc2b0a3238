import { asConcurrencyLimit, type ConcurrencyLimit } from '../core/concurrency-limit.ts';

/** A counting semaphore that follows a limit that may change; waiters are served in order. */
export interface Slots {
  /** Resolves when a slot is free; the caller must release() it exactly once. */
  acquire(): Promise<void>;
  release(): void;
  /** The limit in force now. */
  size(): number;
  /** Holders now. */
  held(): number;
  /** Stops following the limit. */
  dispose(): void;
}

/**
 * At most `limit` holders at once. When an adaptive limit rises, waiters are let in at once; when it falls,
 * no holder is pre-empted: releases just stop letting new ones in until the holders are under it.
 */
export function createSlots(limit: number | ConcurrencyLimit): Slots {
  const live = asConcurrencyLimit(limit);
  let held = 0;
  const waiters: Array<() => void> = [];
  const pump = (): void => {
    while (waiters.length > 0 && held < live.current()) {
      held++;
      waiters.shift()!();
    }
  };
  const unsubscribe = live.subscribe(pump);
  return {
    acquire() {
      if (held < live.current() && waiters.length === 0) {
        held++;
        return Promise.resolve();
      }
      return new Promise((resolve) => waiters.push(resolve));
    },
    release() {
      held--;
      pump();
    },
    size: () => live.current(),
    held: () => held,
    dispose: unsubscribe,
  };
}
