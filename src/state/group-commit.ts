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

/** How long a group commit gathers items. */
export interface GroupCommitOptions {
  /**
   * Wait this long after the first queued item before writing. 0 writes from setImmediate (the next loop
   * turn); a few ms let a busy engine fill a transaction with hundreds of final states instead of a handful,
   * at no risk: nothing that must be durable before a send waits on this queue (see Ledger.updateNow).
   * @default 0
   */
  readonly delayMs?: number;
}

/**
 * Creates a group-commit queue around a synchronous batch writer (one transaction per call). The batch is
 * written from setImmediate (or a short timer) rather than a microtask so that every caller woken by the
 * previous batch (each through its own chain of awaits) has queued its next item first: per-record awaits
 * then cost one transaction per turn, not one per record.
 */
export function createGroupCommit<T>(
  write: (items: readonly T[]) => void,
  options: GroupCommitOptions = {},
): GroupCommit<T> {
  const delayMs = options.delayMs ?? 0;
  let items: T[] = [];
  let waiters: Waiter[] = [];
  /** Cancels the scheduled write; null when none is scheduled. */
  let scheduled: (() => void) | null = null;

  function schedule(): void {
    if (delayMs > 0) {
      const timer = setTimeout(runScheduled, delayMs);
      scheduled = () => clearTimeout(timer);
    } else {
      const immediate = setImmediate(runScheduled);
      scheduled = () => clearImmediate(immediate);
    }
  }

  function runScheduled(): void {
    scheduled = null;
    try {
      run();
    } catch {
      // Already delivered to every waiter of the failed batch.
    }
  }

  function run(): void {
    scheduled?.();
    scheduled = null;
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
        if (scheduled === null) schedule();
      });
    },
    flushNow: run,
    get pending() {
      return items.length;
    },
  };
}
