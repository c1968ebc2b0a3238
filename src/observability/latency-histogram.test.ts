import { describe, expect, it } from 'vitest';
import { createLatencyHistogram } from './latency-histogram.ts';

describe('createLatencyHistogram', () => {
  it('reports percentiles of a uniform 1..1000 ms distribution within 2%', () => {
    const h = createLatencyHistogram();
    // Shuffled order must not matter.
    for (let i = 0; i < 1000; i++) h.record(((i * 379) % 1000) + 1);
    const s = h.summary();
    expect(s.count).toBe(1000);
    expect(s.p50).toBeGreaterThanOrEqual(490);
    expect(s.p50).toBeLessThanOrEqual(510);
    expect(s.p90).toBeGreaterThanOrEqual(882);
    expect(s.p90).toBeLessThanOrEqual(918);
    expect(s.p99).toBeGreaterThanOrEqual(970);
    expect(s.p99).toBeLessThanOrEqual(1000);
    expect(s.max).toBe(1000);
    expect(s.mean).toBeCloseTo(500.5, 1);
  });

  it('finds a slow tail: 99% at 10 ms and 1% at 2 s', () => {
    const h = createLatencyHistogram();
    for (let i = 0; i < 9900; i++) h.record(10);
    for (let i = 0; i < 100; i++) h.record(2000);
    expect(h.quantile(0.5)).toBe(10);
    expect(h.quantile(0.99)).toBe(10);
    expect(h.quantile(0.995)).toBe(2000);
    expect(h.summary().max).toBe(2000);
  });

  it('keeps memory bounded however many samples it takes', () => {
    const h = createLatencyHistogram();
    for (let i = 0; i < 200_000; i++) h.record((i % 5000) / 10);
    expect(h.summary().count).toBe(200_000);
    expect(h.quantile(1)).toBeCloseTo(499.9, 0);
  });

  it('is all zeros when empty and ignores nonsense samples', () => {
    const h = createLatencyHistogram();
    h.record(Number.NaN);
    h.record(-5);
    expect(h.summary()).toEqual({ count: 0, p50: 0, p90: 0, p99: 0, max: 0, mean: 0 });
  });
});
