/**
 * Remembers the keys dispatched recently in this run, so a duplicate record is skipped even when its twin
 * is still in flight or settled after the ledger was consulted for the page. Bounded, so memory stays flat
 * on a million records; duplicates further apart are caught by the ledger itself.
 */
export function createRecentKeys(capacity: number) {
  const active = new Set<string>();
  const settledKeys = new Map<string, true>();
  return {
    /** False when the key is in flight or was settled recently: the record is a duplicate. */
    claim(key: string): boolean {
      if (active.has(key) || settledKeys.has(key)) return false;
      active.add(key);
      return true;
    },
    /** The key's record reached the destination (or was refused by it); later twins are duplicates. */
    settled(key: string): void {
      settledKeys.set(key, true);
      if (settledKeys.size > capacity) settledKeys.delete(settledKeys.keys().next().value!);
    },
    release(key: string): void {
      active.delete(key);
    },
  };
}
