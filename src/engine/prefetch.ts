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
  // From the check phase: the first request, dispatched by now, has been written by the time it runs.
  if (onFirstAsked) setImmediate(onFirstAsked);
  try {
    for (;;) {
      const current = await pending;
      if (current.done) return;
      pending = iterator.next();
      // A rejection of the prefetched page surfaces when it is awaited; mark it handled until then.
      pending.catch(() => {});
      yield current.value;
    }
  } finally {
    await iterator.return?.();
  }
}
