import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createAdaptiveLimiter } from './adaptive-limiter.ts';
import { type RateBudget, sharedLimiter } from './shared-limiter.ts';

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(0);
});
afterEach(() => vi.useRealTimers());

/** A budget that answers as the cluster's would with this schedule, and records what it was told. */
function budget(intervalMs: number) {
  let tat = 0;
  const told = { limits: [] as unknown[], pauses: [] as number[], reserved: [] as number[] };
  const rate: RateBudget = {
    async reserve(count) {
      told.reserved.push(count);
      if (intervalMs === 0) return { waitMs: 0, intervalMs: 0 };
      const first = Math.max(tat, Date.now());
      tat = first + count * intervalMs;
      return { waitMs: first - Date.now(), intervalMs };
    },
    async setLimits(limits) {
      told.limits.push(limits);
    },
    async pause(ms) {
      told.pauses.push(ms);
    },
  };
  return { rate, told };
}

describe('a limiter under a cluster budget', () => {
  it("sends on the cluster's schedule once a limit is known, reserving several sends at a time", async () => {
    const { rate, told } = budget(10);
    const limiter = sharedLimiter(createAdaptiveLimiter({ adaptive: false }), rate, { configured: 100 });
    const sent: number[] = [];
    const sends = [0, 1, 2].map(() =>
      limiter.acquire().then((permit) => {
        sent.push(Date.now());
        permit.release();
      }),
    );
    await vi.advanceTimersByTimeAsync(1000);
    await Promise.all(sends);
    expect(sent).toEqual([0, 10, 20]);
    expect(told.limits).toEqual([{ configured: 100 }]);
    // The first caller reserved one send; the two waiting behind it (a tenth of a second of sends at most)
    // were reserved together.
    expect(told.reserved).toEqual([1, 2]);
  });

  it('sends by its own limiter alone while the cluster knows no limit, and looks again now and then', async () => {
    const { rate, told } = budget(0);
    const limiter = sharedLimiter(createAdaptiveLimiter({ adaptive: false }), rate, {
      configured: 0,
      refreshMs: 2000,
    });
    (await limiter.acquire()).release();
    expect(told.reserved).toEqual([1]);
    const quick = limiter.tryAcquire();
    expect(quick).not.toBeNull();
    quick?.release();
    await vi.advanceTimersByTimeAsync(2000);
    expect(limiter.tryAcquire()).toBeNull();
  });

  it("tells the cluster the destination's limit and pauses everyone when the destination throttles", async () => {
    const { rate, told } = budget(0);
    const limiter = sharedLimiter(createAdaptiveLimiter(), rate, { configured: 0 });
    limiter.onQuota({ limit: 300, remaining: 200 });
    limiter.onQuota({ limit: 300, remaining: 199 });
    expect(told.limits).toEqual([{ configured: null }, { learned: 300 }]);
    // Until ten answers are known every 429 counts as throttling: this process pauses, and so do the others.
    limiter.onRateLimited(2000);
    await vi.advanceTimersByTimeAsync(0);
    expect(told.pauses).toEqual([2000]);
  });
});
