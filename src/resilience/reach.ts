/**
 * How many times its bandwidth-delay product the limit may hold: what the destination answers a ms, times
 * the lowest round trip of a single request. Servers with a capacity refuse past some multiple of it (the
 * bundled mock past twice, as BBR caps what TCP keeps in flight at twice its estimate of the product).
 */
const REACH = 1.6;

/**
 * The most requests the limit may rise to from a window that held `held` requests on average for a round
 * trip of `rttMs` as measured: REACH times `held / rttMs` (the answers a ms, by Little's law) times
 * `lowestMs`. Every rise is bounded by it, whatever the round trip's rise over a baseline says: the baseline
 * is a window's mean, and on a loaded machine the first windows read half as long again as the destination
 * answers, so that a limit queueing a third at the destination read flat against it. A slower client or
 * destination only makes the reach shorter, and the lowest single round trip is never longer than the
 * destination's own.
 */
export function limitReach(held: number, rttMs: number, lowestMs: number): number {
  return (REACH * held * lowestMs) / rttMs;
}
