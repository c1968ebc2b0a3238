import { afterRequestSent } from '../http/after-request-sent.ts';

/** How long `onFirstAsked` waits for the first request to go out before it runs anyway. */
const FIRST_REQUEST_WAIT_MS = 100;

/**
 * Iterates `source` while fetching its next item ahead, so the engine is never idle waiting for a page it
 * could have requested while sending the previous one. One item ahead at most: memory stays at two pages.
 */
export async function* prefetchOne<T>(
  source: AsyncIterable<T>,
  onFirstAsked?: () => void,
): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  let pending = iterator.next();
  // Once the first request is on the wire, not before: what onFirstAsked does (fetching a token) blocks
  // the event loop a while, and the connection of the first request is still being opened when the next
  // turn of the loop comes. At the latest when the first item arrives.
  const firstAsked = onFirstAsked && afterRequestSent(onFirstAsked, FIRST_REQUEST_WAIT_MS);
  try {
    for (;;) {
      const current = await pending;
      firstAsked?.now();
      if (current.done) return;
      pending = iterator.next();
      // A rejection of the prefetched page surfaces when it is awaited; mark it handled until then.
      pending.catch(() => {});
      yield current.value;
    }
  } finally {
    firstAsked?.cancel();
    await iterator.return?.();
  }
}
