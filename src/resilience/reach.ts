/**
 * How many times its bandwidth-delay product the destination may be given to hold: what it answers a ms,
 * times the lowest round trip of a single request. Servers with a capacity refuse past some multiple of it
 * (the bundled mock past twice), as BBR caps what TCP keeps in flight at twice its estimate of the product.
 * Less left more room under load and cost the slow start at 20 ms (docs/performance.md, the sixth stop).
 */
const REACH = 1.6;

/**
 * The most the limit may rise to from a window that held `held` requests at the destination on average for
 * a round trip of `rttMs` as measured: each slot more holds at most one request more, so the limit may rise
 * by what REACH times the product leaves over `held`, the product being `held / rttMs` (the answers a ms, by
 * Little's law) times `lowestMs`. The limit counts records, and records between their requests (a retry's
 * backoff, the mapping, the ledger) hold a slot but not the destination.
 *
 * Every rise is bounded by it, whatever the round trip's rise over a baseline says: the baseline is a
 * window's mean, and on a loaded machine the first windows read half as long again as the destination
 * answers, so that a limit queueing a third at the destination read flat against it. A slower client or
 * destination only shortens the reach, and the lowest single round trip is what such a load inflates least
 * (some of the client's own wait stays in it, so the estimate can read a little over the capacity).
 */
export function limitReach(limit: number, held: number, rttMs: number, lowestMs: number): number {
  return limit - held + (REACH * held * lowestMs) / rttMs;
}
