/** Requests counted by route and status, plus named counters; what /__admin/stats reports. */
export interface RequestStats {
  /** Counts one answered request; `status` is 'lost' for a dropped acknowledgement. */
  record(route: string, status: number | 'lost'): void;
  /** Adds to a named counter (rateLimited, lostAcks...). */
  add(counter: string, by?: number): void;
  counter(name: string): number;
  /** `{"POST /api/v2/orders": {"201": 10, "429": 2}}`. */
  requests(): Record<string, Record<string, number>>;
  /** Notes a request's arrival (any route but the admin ones). */
  arrived(): void;
  /**
   * When (ms since the epoch) the first request arrived, and when each `route status` was last answered:
   * for benchmarks in another process to time a run from its launch (`POST /api/v2/orders 201`).
   */
  times(): { firstArrivalAt: number | null; lastAnswered: Record<string, number> };
  reset(): void;
}

/** Creates an empty set of request statistics. */
export function createRequestStats(): RequestStats {
  let byRoute = new Map<string, Map<string, number>>();
  let counters = new Map<string, number>();
  let firstArrivalAt: number | null = null;
  let lastAnswered = new Map<string, number>();
  return {
    record(route, status) {
      let statuses = byRoute.get(route);
      if (!statuses) {
        statuses = new Map();
        byRoute.set(route, statuses);
      }
      const key = String(status);
      statuses.set(key, (statuses.get(key) ?? 0) + 1);
      lastAnswered.set(`${route} ${key}`, Date.now());
    },
    add(counter, by = 1) {
      counters.set(counter, (counters.get(counter) ?? 0) + by);
    },
    counter(name) {
      return counters.get(name) ?? 0;
    },
    requests() {
      const out: Record<string, Record<string, number>> = {};
      for (const [route, statuses] of byRoute) out[route] = Object.fromEntries(statuses);
      return out;
    },
    arrived() {
      firstArrivalAt ??= Date.now();
    },
    times: () => ({ firstArrivalAt, lastAnswered: Object.fromEntries(lastAnswered) }),
    reset() {
      byRoute = new Map();
      counters = new Map();
      firstArrivalAt = null;
      lastAnswered = new Map();
    },
  };
}
