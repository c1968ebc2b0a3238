/** Batches writes: everything enqueued in one event-loop turn is written by one call of `write`. */
export interface GroupCommit<T> {
  /** Queues an item; resolves once the batch holding it is written, rejects with the batch's error. */
  enqueue(item: T): Promise<void>;
  /** Writes whatever is queued now (synchronously); throws the write's error after rejecting its waiters. */
  flushNow(): void;
  /** Items queued and not yet written. */
  readonly pending: number;
}

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

/**
 * Creates a group-commit queue around a synchronous batch writer (one transaction per call). The batch is
 * written from setImmediate rather than a microtask so that every caller woken by the previous batch (each
 * through its own chain of awaits) has queued its next item first: per-record awaits then cost one
 * transaction per turn, not one per record.
 */
export function createGroupCommit<T>(write: (items: readonly T[]) => void): GroupCommit<T> {
  let items: T[] = [];
  let waiters: Waiter[] = [];
  let scheduled: NodeJS.Immediate | null = null;

  function run(): void {
    if (scheduled !== null) {
      clearImmediate(scheduled);
      scheduled = null;
    }
    if (items.length === 0) return;
    const batch = items;
    const batchWaiters = waiters;
    items = [];
    waiters = [];
    try {
      write(batch);
    } catch (error) {
      for (const w of batchWaiters) w.reject(error);
      throw error;
    }
    for (const w of batchWaiters) w.resolve();
  }

  return {
    enqueue(item: T): Promise<void> {
      return new Promise<void>((resolve, reject) => {
        items.push(item);
        waiters.push({ resolve, reject });
        if (scheduled === null) {
          scheduled = setImmediate(() => {
            scheduled = null;
            try {
              run();
            } catch {
              // Already delivered to every waiter of the failed batch.
            }
          });
        }
      });
    },
    flushNow: run,
    get pending() {
      return items.length;
    },
  };
}
