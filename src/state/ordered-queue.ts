/**
 * Applies a ledger's operations one after another in the order they were called, gathering queued writes
 * into batches (group commit) for an asynchronous store: what SQLite's synchronous calls give the SQLite
 * ledger for free. A read or a direct write first sends what was queued before it, so a checkpoint is
 * never stored ahead of the record states queued before it, and a read sees them.
 */
export interface OrderedQueue<T> {
  /** Queues an item for the next batch; resolves once the batch holding it is written. */
  enqueue(item: T): Promise<void>;
  /**
   * Runs `fn` after everything called before it (queued items included) and before anything called after.
   * Rejects with the error of the batch of items queued just before it, without running `fn`: what follows
   * a write must not be stored when the write was not.
   */
  run<R>(fn: () => Promise<R>): Promise<R>;
  /** Writes what is queued now; resolves once that and everything called before is done. */
  flush(): Promise<void>;
  /**
   * Writes what is queued on the next loop turn instead of after the delay: for writes that must be durable
   * soon, so that those queued by every caller in this turn share one batch instead of one each.
   */
  flushSoon(): void;
  /** Items queued and not yet handed to a batch. */
  readonly pending: number;
}

interface Waiter {
  resolve(): void;
  reject(error: unknown): void;
}

/** How long a batch gathers items. */
export interface OrderedQueueOptions {
  /** Wait this long after the first queued item before writing; 0 writes on the next loop turn. @default 0 */
  readonly delayMs?: number;
}

/** Creates the queue around a batch writer (one transaction per call). */
export function createOrderedQueue<T>(
  write: (items: readonly T[]) => Promise<void>,
  options: OrderedQueueOptions = {},
): OrderedQueue<T> {
  const delayMs = options.delayMs ?? 0;
  let items: T[] = [];
  let waiters: Waiter[] = [];
  let cancelScheduled: (() => void) | null = null;
  /** True while the scheduled write is for the next loop turn (not after the delay). */
  let soon = false;
  /** Settles when everything handed to the queue so far is done; never rejects. */
  let tail: Promise<unknown> = Promise.resolve();

  function chain<R>(fn: () => Promise<R>): Promise<R> {
    const result = tail.then(fn);
    tail = result.catch(() => {});
    return result;
  }

  /** Hands the queued items to a batch after everything chained so far; null when none are queued. */
  function cut(): Promise<void> | null {
    cancelScheduled?.();
    cancelScheduled = null;
    soon = false;
    if (items.length === 0) return null;
    const batch = items;
    const batchWaiters = waiters;
    items = [];
    waiters = [];
    const written = chain(() => write(batch));
    written.then(
      () => {
        for (const w of batchWaiters) w.resolve();
      },
      (error: unknown) => {
        for (const w of batchWaiters) w.reject(error);
      },
    );
    return written;
  }

  function schedule(): void {
    if (delayMs > 0) {
      const timer = setTimeout(cut, delayMs);
      cancelScheduled = () => clearTimeout(timer);
    } else {
      const immediate = setImmediate(cut);
      cancelScheduled = () => clearImmediate(immediate);
    }
  }

  return {
    enqueue(item: T): Promise<void> {
      return new Promise<void>((resolve, reject) => {
        items.push(item);
        waiters.push({ resolve, reject });
        if (cancelScheduled === null) schedule();
      });
    },
    run<R>(fn: () => Promise<R>): Promise<R> {
      const batch = cut();
      if (batch === null) return chain(fn);
      // Chained right behind the batch: nothing called later can come between them.
      return chain(async () => {
        await batch;
        return fn();
      });
    },
    flush(): Promise<void> {
      return cut() ?? chain(async () => {});
    },
    flushSoon(): void {
      if (items.length === 0 || soon) return;
      cancelScheduled?.();
      const immediate = setImmediate(cut);
      cancelScheduled = () => clearImmediate(immediate);
      soon = true;
    },
    get pending() {
      return items.length;
    },
  };
}
