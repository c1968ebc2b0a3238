import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { hasErrorCode } from '../core/errors.ts';
import { startLeaseClock } from './page-lease.ts';

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
});
afterEach(() => {
  vi.useRealTimers();
});

const base = { leaseMs: 10_000, marginMs: 3000, everyMs: 2000, what: 'page 1' };

describe('a lease clock', () => {
  it('gives the page up by its own clock when no renewal reaches the database', async () => {
    const clock = startLeaseClock({
      ...base,
      from: performance.now(),
      renew: () => Promise.reject(new Error('connect ETIMEDOUT')),
    });
    await vi.advanceTimersByTimeAsync(6999);
    expect(clock.signal.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(clock.signal.aborted).toBe(true);
    expect(hasErrorCode(clock.signal.reason, 'FERRY_ERR_LEASE_LOST')).toBe(true);
  });

  it('counts each renewal from when it was asked for, not from when it was answered', async () => {
    let answer: (renewed: boolean) => void = () => {};
    const clock = startLeaseClock({
      ...base,
      from: performance.now(),
      renew: () => new Promise<boolean>((resolve) => (answer = resolve)),
    });
    // Asked at 2 s, answered at 5 s: the lease holds until 2 + 10 - 3 = 9 s.
    await vi.advanceTimersByTimeAsync(5000);
    answer(true);
    await vi.advanceTimersByTimeAsync(3999);
    expect(clock.signal.aborted).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(clock.signal.aborted).toBe(true);
  });

  it('gives the page up at once when the queue says the lease is gone', async () => {
    const clock = startLeaseClock({ ...base, from: performance.now(), renew: async () => false });
    await vi.advanceTimersByTimeAsync(2000);
    expect(clock.signal.aborted).toBe(true);
  });

  it('keeps the page while renewals succeed, and stops renewing once stopped', async () => {
    const renew = vi.fn(async () => true);
    const clock = startLeaseClock({ ...base, from: performance.now(), renew });
    await vi.advanceTimersByTimeAsync(60_000);
    expect(clock.signal.aborted).toBe(false);
    expect(renew).toHaveBeenCalledTimes(30);
    clock.stop();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(renew).toHaveBeenCalledTimes(30);
    expect(clock.signal.aborted).toBe(false);
  });
});
