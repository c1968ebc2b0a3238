/** A started deadline, to hand back to cancel() once the work finished in time. */
export interface Deadline {
  readonly at: number;
}

/** Deadlines that all run for the same time. */
export interface DeadlineQueue {
  /** Calls onExpire once, timeoutMs from now, unless cancelled first. */
  start(onExpire: () => void): Deadline;
  /** Forgets a deadline; cancelling one that expired or was cancelled already does nothing. */
  cancel(deadline: Deadline): void;
}

interface Entry extends Deadline {
  readonly onExpire: () => void;
  prev: Entry | null;
  next: Entry | null;
  /** False once expired or cancelled. */
  pending: boolean;
}

/**
 * Deadlines of one fixed duration expire in the order they started, so one timer, armed for the oldest
 * pending deadline, serves them all: starting and cancelling one links and unlinks an entry of a list
 * instead of creating a Timeout and inserting it into Node's timer lists per request, and each still expires
 * at its own time. The timer is unref'd: it guards work (a socket read) that keeps the process alive by
 * itself.
 */
export function createDeadlineQueue(
  timeoutMs: number,
  now: () => number = () => performance.now(),
): DeadlineQueue {
  // A list in start order, which is also deadline order: oldest at the head.
  let head: Entry | null = null;
  let tail: Entry | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;

  const unlink = (entry: Entry): void => {
    entry.pending = false;
    if (entry.prev) entry.prev.next = entry.next;
    else head = entry.next;
    if (entry.next) entry.next.prev = entry.prev;
    else tail = entry.prev;
    entry.prev = null;
    entry.next = null;
  };

  const arm = (): void => {
    timer = null;
    if (head === null) return;
    // Timers may fire a little early against now(): at least 1 ms, and fire() looks again.
    timer = setTimeout(fire, Math.max(1, Math.ceil(head.at - now())));
    timer.unref();
  };

  function fire(): void {
    try {
      const time = now();
      while (head !== null && head.at <= time) {
        const entry: Entry = head;
        unlink(entry);
        entry.onExpire();
      }
    } finally {
      arm();
    }
  }

  return {
    start(onExpire) {
      const entry: Entry = { at: now() + timeoutMs, onExpire, prev: tail, next: null, pending: true };
      if (tail) tail.next = entry;
      else head = entry;
      tail = entry;
      if (timer === null) arm();
      return entry;
    },
    cancel(deadline) {
      const entry = deadline as Entry;
      if (entry.pending) unlink(entry);
    },
  };
}
