import { describe, expect, it } from 'vitest';
import { createTimelineCollector } from './run-timeline.ts';

describe('run timeline', () => {
  it('counts settled records, dead letters, retries and 429s per one-second slice, empty slices included', () => {
    let now = 10_000;
    const timeline = createTimelineCollector({ startedMs: 10_000, clock: () => now });
    timeline.settled(false);
    timeline.settled(true);
    now = 12_500;
    timeline.retry();
    timeline.rateLimited();
    timeline.settled(false);
    expect(timeline.toJSON()).toEqual({
      intervalMs: 1000,
      points: [
        { t: 0, settled: 2, deadLettered: 1, retries: 0, rateLimited: 0 },
        { t: 1000, settled: 0, deadLettered: 0, retries: 0, rateLimited: 0 },
        { t: 2000, settled: 1, deadLettered: 0, retries: 1, rateLimited: 1 },
      ],
    });
  });

  it('keeps at most maxPoints slices by merging pairs into slices twice as long', () => {
    let now = 0;
    const timeline = createTimelineCollector({ startedMs: 0, clock: () => now, maxPoints: 4 });
    for (now = 0; now < 9000; now += 1000) timeline.settled(false);
    const { intervalMs, points } = timeline.toJSON();
    expect(intervalMs).toBe(4000);
    expect(points.map((p) => [p.t, p.settled])).toEqual([
      [0, 4],
      [4000, 4],
      [8000, 1],
    ]);
    expect(points.reduce((sum, p) => sum + p.settled, 0)).toBe(9);
  });
});
