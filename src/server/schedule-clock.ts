import { Cron } from 'croner';
import type { ScheduleConfig } from '../integration/schedule-schema.ts';

/** Computes an integration's ticks: when it is due next, and whether a tick fell in a stretch of time. */
export interface ScheduleClock {
  /** The first tick strictly after `after` (ms since the epoch), or null when the schedule never fires again. */
  nextTick(after: number): number | null;
  /** True when a tick fell after `since` and at or before `now`: the schedule was due in between. */
  dueBetween(since: number, now: number): boolean;
}

/**
 * The ticks of a schedule. A cron expression is read in its time zone by croner, daylight-saving
 * changes included; an interval ticks every `every` after the reference it is given.
 */
export function createScheduleClock(schedule: ScheduleConfig): ScheduleClock {
  if (schedule.kind === 'every') {
    return {
      nextTick: (after) => after + schedule.everyMs,
      dueBetween: (since, now) => since + schedule.everyMs <= now,
    };
  }
  // Paused: croner only computes dates here; the scheduler owns the timers.
  const cron = new Cron(schedule.cron, {
    paused: true,
    ...(schedule.timezone === null ? {} : { timezone: schedule.timezone }),
  });
  const nextTick = (after: number): number | null => cron.nextRun(new Date(after))?.getTime() ?? null;
  return {
    nextTick,
    dueBetween: (since, now) => {
      const next = nextTick(since);
      return next !== null && next <= now;
    },
  };
}
