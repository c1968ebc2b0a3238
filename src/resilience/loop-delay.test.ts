import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createLoopDelaySampler } from './loop-delay.ts';

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(0);
});
afterEach(() => vi.useRealTimers());

describe('createLoopDelaySampler', () => {
  it('reads no wait from a loop that runs its timers on time', async () => {
    const sampler = createLoopDelaySampler({ now: () => Date.now() });
    await vi.advanceTimersByTimeAsync(1_000);
    expect(sampler.take()).toBe(0);
    sampler.stop();
  });

  it('reads a loop held 100 ms in a second as the 5 ms an answer arriving at random waited', async () => {
    const sampler = createLoopDelaySampler({ now: () => Date.now() });
    await vi.advanceTimersByTimeAsync(400);
    // The loop is busy: the clock moves, no timer fires until it is free again.
    vi.setSystemTime(Date.now() + 100);
    await vi.advanceTimersByTimeAsync(500);
    // 100² / (2 × 1000): a tenth of the arrivals met the hold, and waited 50 ms on average.
    expect(sampler.take()).toBeCloseTo(5, 0);
    // Each span is its own: the hold is not counted twice.
    await vi.advanceTimersByTimeAsync(1_000);
    expect(sampler.take()).toBe(0);
    sampler.stop();
  });
});
