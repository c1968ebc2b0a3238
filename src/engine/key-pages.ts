/**
 * Remembers, for the keys read recently in a run, the last page that held each: the reader marks a repeat
 * of an earlier page's key, or holds its page back until that page settled. Bounded like recent-keys.ts:
 * repeats further apart are caught by the ledger itself.
 */
export function createKeyPages(capacity: number) {
  const pageOf = new Map<string, number>();
  const order: (string | undefined)[] = new Array(capacity);
  let oldest = 0;
  return {
    /** Records that `page` holds `key`; returns the page that held it before, if one did recently. */
    seen(key: string, page: number): number | undefined {
      const before = pageOf.get(key);
      if (before === undefined) {
        const evicted = order[oldest];
        if (evicted !== undefined) pageOf.delete(evicted);
        order[oldest] = key;
        oldest = (oldest + 1) % capacity;
      }
      pageOf.set(key, page);
      return before;
    },
  };
}
