import { describe, expect, it } from 'vitest';
import { fullJitterDelay } from './backoff.ts';

describe('fullJitterDelay', () => {
  it('grows the ceiling exponentially from the base delay', () => {
    const top = () => 0.999999;
    expect(fullJitterDelay(1, { baseDelayMs: 100, maxDelayMs: 10_000, random: top })).toBe(99);
    expect(fullJitterDelay(2, { baseDelayMs: 100, maxDelayMs: 10_000, random: top })).toBe(199);
    expect(fullJitterDelay(4, { baseDelayMs: 100, maxDelayMs: 10_000, random: top })).toBe(799);
  });

  it('never exceeds the max delay', () => {
    expect(fullJitterDelay(30, { baseDelayMs: 100, maxDelayMs: 5000, random: () => 0.999999 })).toBe(4999);
  });

  it('spreads delays over the whole range (full jitter)', () => {
    expect(fullJitterDelay(3, { baseDelayMs: 100, random: () => 0 })).toBe(0);
    expect(fullJitterDelay(3, { baseDelayMs: 100, random: () => 0.5 })).toBe(200);
  });
});
