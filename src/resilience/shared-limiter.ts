import { watchAbort } from '../core/abort-watch.ts';
import type { RateLimitInfo } from '../http/rate-limit-headers.ts';
import type { AdaptiveLimiter, LimiterPermit } from './adaptive-limiter.ts';
import { type Clock, systemClock, throwIfAborted } from './clock.ts';

/**
 * A destination's request budget shared by every process sending to it (kept in PostgreSQL by
 * src/state/postgres-destination-budget.ts): one schedule of send times for the whole cluster, and one pause.
 */
export interface RateBudget {
  /**
   * Reserves `count` sends: the first may leave `waitMs` from now, the others `intervalMs` apart after it.
   * `intervalMs` is 0 while the cluster knows no limit: then only a pause holds sends back.
   */
  reserve(count: number): Promise<{ readonly waitMs: number; readonly intervalMs: number }>;
  /** Records the limits this process knows: configured, or learned from the destination's headers. */
  setLimits(limits: { readonly configured?: number | null; readonly learned?: number | null }): Promise<void>;
  /** Holds every process's sends back for `ms` (a 429's Retry-After, an exhausted quota). */
  pause(ms: number): Promise<void>;
}

/** Options of sharedLimiter. */
export interface SharedLimiterOptions {
  /** rate_limit.requests_per_second; 0 = none. */
  readonly configured: number;
  /** How long a look at the budget that found no limit is trusted. @default 2000 */
  readonly refreshMs?: number;
  /** Most sends reserved at once, as seconds of the pace. @default 0.1 */
  readonly batchSeconds?: number;
  readonly clock?: Clock;
  /** Told when the budget cannot be reached (the sends wait for it). */
  readonly onError?: (error: unknown) => void;
}

/**
 * Puts a process's own limiter (its concurrency slots and its adaptive pace) under the cluster's budget:
 * a send leaves once both allow it. What the destination says (a limit in its headers, a 429 that pauses
 * this process) is passed on to the budget, so every process keeps to it, not each to its own copy of the
 * limit. Sends are reserved a few at a time (one round trip to the database per tenth of a second of
 * sends), in the order callers asked.
 */
export function sharedLimiter(
  local: AdaptiveLimiter,
  budget: RateBudget,
  options: SharedLimiterOptions,
): AdaptiveLimiter {
  const clock = options.clock ?? systemClock;
  const refreshMs = options.refreshMs ?? 2000;
  const batchSeconds = options.batchSeconds ?? 0.1;
  /** Send times reserved and not yet used, in clock ms. */
  const slots: number[] = [];
  /** Callers waiting for a send time, in order. */
  const waiters: Array<{ resolve: (at: number) => void; reject: (error: unknown) => void }> = [];
  let reserving = false;
  /** When the budget last said there is no limit (sends then go by the local limiter alone until refreshMs). */
  let unlimitedSince = Number.NEGATIVE_INFINITY;
  let pace = 0;
  let learned: number | null = null;
  const configured = options.configured > 0 ? options.configured : null;
  const published = budget.setLimits({ configured }).catch((error: unknown) => options.onError?.(error));

  const unlimited = () => slots.length === 0 && clock.now() - unlimitedSince < refreshMs;

  async function refill(): Promise<void> {
    if (reserving) return;
    reserving = true;
    try {
      await published;
      while (waiters.length > 0) {
        const count = Math.max(1, Math.min(waiters.length, Math.ceil(pace * batchSeconds) || 1));
        let answer: { waitMs: number; intervalMs: number };
        try {
          answer = await budget.reserve(count);
        } catch (error) {
          options.onError?.(error);
          await clock.sleep(500).catch(() => {});
          continue;
        }
        const start = clock.now() + answer.waitMs;
        if (answer.intervalMs === 0) {
          // No limit known: every waiter goes after the pause, if any.
          unlimitedSince = clock.now();
          pace = 0;
          for (const waiter of waiters.splice(0)) waiter.resolve(start);
          continue;
        }
        pace = 1000 / answer.intervalMs;
        for (let i = 0; i < count; i++) slots.push(start + i * answer.intervalMs);
        while (waiters.length > 0 && slots.length > 0) waiters.shift()!.resolve(slots.shift()!);
      }
    } finally {
      reserving = false;
    }
  }

  /** Waits for this caller's send time. */
  async function paced(signal?: AbortSignal): Promise<void> {
    throwIfAborted(signal);
    const at =
      slots.shift() ??
      (await new Promise<number>((resolve, reject) => {
        const watch =
          signal &&
          watchAbort(signal, () => {
            const i = waiters.indexOf(waiter);
            if (i >= 0) waiters.splice(i, 1);
            try {
              throwIfAborted(signal);
            } catch (error) {
              reject(error);
            }
          });
        const waiter = {
          resolve: (slot: number) => {
            watch?.cancel();
            resolve(slot);
          },
          reject: (error: unknown) => {
            watch?.cancel();
            reject(error);
          },
        };
        waiters.push(waiter);
        void refill();
      }));
    const wait = at - clock.now();
    if (wait > 0) await clock.sleep(wait, signal);
  }

  return {
    async acquire(signal?: AbortSignal): Promise<LimiterPermit> {
      const permit = await local.acquire(signal);
      if (unlimited()) return permit;
      try {
        await paced(signal);
      } catch (error) {
        permit.release();
        throw error;
      }
      return permit;
    },
    tryAcquire() {
      return unlimited() ? local.tryAcquire() : null;
    },
    onSuccess: () => local.onSuccess(),
    onRateLimited(waitMs, sentAt) {
      const before = local.state().pausedUntil;
      local.onRateLimited(waitMs, sentAt);
      const after = local.state().pausedUntil;
      // Only what this process's limiter took for throttling (not an occasional 429) pauses everyone.
      if (after > before) {
        unlimitedSince = Number.NEGATIVE_INFINITY;
        budget.pause(after - clock.now()).catch((error: unknown) => options.onError?.(error));
      }
    },
    onQuota(info: RateLimitInfo) {
      const before = local.state().pausedUntil;
      local.onQuota(info);
      if (info.limit !== undefined && info.limit > 0) {
        const perSecond = (info.limit * 1000) / (info.windowMs ?? 1000);
        if (perSecond !== learned) {
          learned = perSecond;
          unlimitedSince = Number.NEGATIVE_INFINITY;
          budget.setLimits({ learned: perSecond }).catch((error: unknown) => options.onError?.(error));
        }
      }
      const after = local.state().pausedUntil;
      if (after > before) {
        budget.pause(after - clock.now()).catch((error: unknown) => options.onError?.(error));
      }
    },
    state: () => local.state(),
  };
}
