/**
 * Remembers the keys dispatched recently in this run, so a duplicate record is skipped even when its twin
 * is still in flight or settled after the ledger was consulted for the page. Bounded, so memory stays flat
 * on a million records; duplicates further apart are caught by the ledger itself.
 */
export function createRecentKeys(capacity: number) {
  const active = new Set<string>();
  const settledKeys = new Set<string>();
  const waiting = new Map<string, Array<() => void>>();
  // The settled keys in the order they came, oldest at `oldest`: evicting through a ring costs the same
  // whatever came before. Evicting a Map's first key instead (`keys().next()`) walks past every entry
  // deleted since V8 last compacted the table, a cost that grows with the capacity (docs/performance.md).
  const order: (string | undefined)[] = new Array(capacity);
  let oldest = 0;
  return {
    /** False when the key is in flight or was settled recently: the record is a duplicate. */
    claim(key: string): boolean {
      if (active.has(key) || settledKeys.has(key)) return false;
      active.add(key);
      return true;
    },
    /** The key's record reached the destination (or was refused by it); later twins are duplicates. */
    settled(key: string): void {
      if (settledKeys.has(key)) return;
      const evicted = order[oldest];
      if (evicted !== undefined) settledKeys.delete(evicted);
      order[oldest] = key;
      oldest = (oldest + 1) % capacity;
      settledKeys.add(key);
    },
    release(key: string): void {
      active.delete(key);
      const waiters = waiting.get(key);
      if (waiters === undefined) return;
      waiting.delete(key);
      for (const wake of waiters) wake();
    },
    /** True while a record with this key is claimed and not yet released. */
    isActive(key: string): boolean {
      return active.has(key);
    },
    /** Resolves once the key is released (at once when it is not claimed). */
    released(key: string): Promise<void> {
      if (!active.has(key)) return Promise.resolve();
      return new Promise((resolve) => {
        const waiters = waiting.get(key) ?? [];
        waiters.push(resolve);
        waiting.set(key, waiters);
      });
    },
    /**
     * Claims a key that settled earlier in this run, for a record read again whose content a sync compares
     * with what was delivered; false while the key is still claimed.
     */
    claimAgain(key: string): boolean {
      if (active.has(key)) return false;
      settledKeys.delete(key);
      active.add(key);
      return true;
    },
  };
}
