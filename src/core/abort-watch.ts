/**
 * Watching an AbortSignal per request without paying per request. A run hands one signal to every request
 * it sends; an addEventListener/removeEventListener pair per request, or a Set of callbacks per signal, cost
 * a visible share of a run's throughput through the garbage collector. A doubly linked list, one real
 * listener per signal, costs nothing measurable (docs/performance.md).
 */

/** One watcher; `cancel()` stops it from being called. */
export interface AbortWatch {
  cancel(): void;
}

/** A signal's watchers in the order they started watching. */
interface WatchList {
  head: Watcher | null;
  tail: Watcher | null;
}

class Watcher implements AbortWatch {
  readonly list: WatchList;
  readonly onAbort: () => void;
  prev: Watcher | null;
  next: Watcher | null = null;
  active = true;

  constructor(list: WatchList, onAbort: () => void) {
    this.list = list;
    this.onAbort = onAbort;
    this.prev = list.tail;
    if (list.tail === null) list.head = this;
    else list.tail.next = this;
    list.tail = this;
  }

  cancel(): void {
    this.active = false;
    const { list, prev, next } = this;
    if (prev !== null) prev.next = next;
    else if (list.head === this) list.head = next;
    if (next !== null) next.prev = prev;
    else if (list.tail === this) list.tail = prev;
    this.prev = null;
    this.next = null;
  }
}

const lists = new WeakMap<AbortSignal, WatchList>();

function listenOnce(signal: AbortSignal): WatchList {
  const list: WatchList = { head: null, tail: null };
  lists.set(signal, list);
  signal.addEventListener(
    'abort',
    () => {
      // Unlinked before any is called, so a watcher cancelling itself or another while called changes nothing.
      const watchers: Watcher[] = [];
      for (let watcher = list.head; watcher !== null; watcher = watcher.next) watchers.push(watcher);
      list.head = null;
      list.tail = null;
      for (const watcher of watchers) {
        watcher.prev = null;
        watcher.next = null;
      }
      for (const watcher of watchers) if (watcher.active) watcher.onAbort();
    },
    { once: true },
  );
  return list;
}

/**
 * Calls `onAbort` once when `signal` aborts, unless the returned watch is cancelled first. Check
 * `signal.aborted` before watching: a signal that has already aborted fires no more.
 */
export function watchAbort(signal: AbortSignal, onAbort: () => void): AbortWatch {
  return new Watcher(lists.get(signal) ?? listenOnce(signal), onAbort);
}
