import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ScheduleConfig } from '../integration/schedule-schema.ts';
import { createScheduleClock } from './schedule-clock.ts';
import { startScheduleTimer } from './schedule-timer.ts';

const every = (everyMs: number, jitterMs = 0): ScheduleConfig => ({
  kind: 'every',
  everyMs,
  jitterMs,
  onStart: 'run',
});
const cron = (expression: string, timezone: string | null = null): ScheduleConfig => ({
  kind: 'cron',
  cron: expression,
  timezone,
  jitterMs: 0,
  onStart: 'run',
});

beforeEach(() => {
  vi.useFakeTimers({ now: Date.parse('2025-03-29T23:59:30.000Z') });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('schedule ticks', () => {
  it('ticks every interval after the start, keeping its cadence', async () => {
    const ticks: number[] = [];
    const timer = startScheduleTimer({ schedule: every(30_000), onTick: () => ticks.push(Date.now()) });
    const start = Date.now();
    await vi.advanceTimersByTimeAsync(95_000);
    expect(ticks).toEqual([start + 30_000, start + 60_000, start + 90_000]);
    expect(timer.nextAt).toBe(start + 120_000);
    timer.stop();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(ticks).toHaveLength(3);
  });

  it('delays each tick by a jitter below the bound, without moving the cadence', async () => {
    const ticks: number[] = [];
    const draws = [0.5, 0.999, 0];
    const timer = startScheduleTimer({
      schedule: every(10_000, 4_000),
      onTick: () => ticks.push(Date.now()),
      random: () => draws.shift() ?? 0,
    });
    const start = Date.now();
    await vi.advanceTimersByTimeAsync(31_000);
    expect(ticks).toEqual([start + 12_000, start + 23_996, start + 30_000]);
    timer.stop();
  });

  it('fires a cron expression at its minutes in its time zone, across a daylight-saving change', async () => {
    // Europe/Berlin moves from UTC+1 to UTC+2 at 2025-03-30 01:00 UTC: 03:00 local is then 01:00 UTC.
    const ticks: string[] = [];
    const timer = startScheduleTimer({
      schedule: cron('0 3 * * *', 'Europe/Berlin'),
      onTick: () => ticks.push(new Date(Date.now()).toISOString()),
    });
    await vi.advanceTimersByTimeAsync(2 * 24 * 3_600_000);
    expect(ticks).toEqual(['2025-03-30T01:00:00.000Z', '2025-03-31T01:00:00.000Z']);
    timer.stop();
  });

  it('after a suspension fires once and moves on, instead of a burst of missed ticks', async () => {
    const ticks: number[] = [];
    const clock = { at: Date.now() };
    const timer = startScheduleTimer({
      schedule: every(1_000),
      onTick: () => ticks.push(clock.at),
      now: () => clock.at,
    });
    clock.at += 60_000;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(ticks).toHaveLength(1);
    expect(timer.nextAt).toBe(clock.at + 1_000);
    timer.stop();
  });
});

describe('whether a schedule was due while ferry was down', () => {
  it('knows an interval was due once it has passed since the last run', () => {
    const clock = createScheduleClock(every(60_000));
    expect(clock.dueBetween(0, 59_999)).toBe(false);
    expect(clock.dueBetween(0, 60_000)).toBe(true);
  });

  it('knows a cron tick fell between the last run and now', () => {
    const clock = createScheduleClock(cron('0 * * * *', 'UTC'));
    const at = (iso: string) => Date.parse(iso);
    expect(clock.dueBetween(at('2025-01-01T10:05:00Z'), at('2025-01-01T10:59:59Z'))).toBe(false);
    expect(clock.dueBetween(at('2025-01-01T10:05:00Z'), at('2025-01-01T11:00:00Z'))).toBe(true);
    expect(clock.nextTick(at('2025-01-01T10:05:00Z'))).toBe(at('2025-01-01T11:00:00Z'));
  });
});
