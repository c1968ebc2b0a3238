import { subscribe, unsubscribe } from 'node:diagnostics_channel';

/** undici publishes here once it has written a request's headers (any copy of undici: the names are global). */
const HEADERS_SENT = 'undici:client:sendHeaders';

/** What afterRequestSent() returns: run the callback now if it has not run, or drop it. */
export interface PendingCallback {
  now(): void;
  cancel(): void;
}

/**
 * Runs `callback` once, soon after undici next writes a request's headers, or after `fallbackMs` when no
 * HTTP request goes out (a source that is not HTTP), or when `now()` is called, whichever comes first.
 */
export function afterRequestSent(callback: () => void, fallbackMs: number): PendingCallback {
  let pending = true;
  const stop = () => {
    if (!pending) return false;
    pending = false;
    unsubscribe(HEADERS_SENT, onSent);
    clearTimeout(timer);
    return true;
  };
  const now = () => {
    if (stop()) callback();
  };
  // Not inside undici's write: from the next turn of the event loop.
  function onSent() {
    setImmediate(now);
  }
  subscribe(HEADERS_SENT, onSent);
  const timer = setTimeout(now, fallbackMs);
  timer.unref();
  return { now, cancel: stop };
}
