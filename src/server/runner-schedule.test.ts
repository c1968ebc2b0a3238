import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ScheduleConfig } from '../integration/schedule-schema.ts';
import { createRunnerSchedule } from './runner-schedule.ts';

const every = (everyMs: number): ScheduleConfig => ({ kind: 'every', everyMs, jitterMs: 0, onStart: 'run' });

beforeEach(() => {
  vi.useFakeTimers({ now: Date.parse('2026-01-05T10:00:00.000Z') });
});
afterEach(() => {
  vi.useRealTimers();
});

function schedule(config: ScheduleConfig | null) {
  const ticks: number[] = [];
  const nextAts: (number | null)[] = [];
  const runner = createRunnerSchedule({
    schedule: config,
    onTick: () => ticks.push(Date.now()),
    onChange: (nextAt) => nextAts.push(nextAt),
  });
  return { runner, ticks, nextAts };
}

describe("a served integration's schedule", () => {
  it('ticks only once started, stops while paused and counts its next tick from the resume', async () => {
    const { runner, ticks, nextAts } = schedule(every(10_000));
    const start = Date.now();
    await vi.advanceTimersByTimeAsync(30_000);
    expect(ticks).toEqual([]);
    expect(runner.nextAt).toBeNull();

    runner.start();
    await vi.advanceTimersByTimeAsync(25_000);
    expect(ticks).toEqual([start + 40_000, start + 50_000]);

    runner.pause();
    expect(runner.paused).toBe(true);
    expect(runner.nextAt).toBeNull();
    expect(nextAts.at(-1)).toBeNull();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(ticks).toHaveLength(2);

    runner.resume();
    const resumed = Date.now();
    expect(runner.nextAt).toBe(resumed + 10_000);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(ticks.at(-1)).toBe(resumed + 10_000);
    runner.stop();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(ticks).toHaveLength(3);
  });

  it('keeps its cadence when a reload brings the same schedule, and takes a new one at once', async () => {
    const { runner, ticks } = schedule(every(10_000));
    const start = Date.now();
    runner.start();
    await vi.advanceTimersByTimeAsync(6_000);
    runner.reconfigure(every(10_000));
    await vi.advanceTimersByTimeAsync(4_000);
    expect(ticks).toEqual([start + 10_000]);
    runner.reconfigure(every(60_000));
    expect(runner.nextAt).toBe(Date.now() + 60_000);
    runner.reconfigure(null);
    expect(runner.nextAt).toBeNull();
    await vi.advanceTimersByTimeAsync(120_000);
    expect(ticks).toHaveLength(1);
  });
});
