import type { ScheduleConfig } from '../integration/schedule-schema.ts';
import { createScheduleClock } from './schedule-clock.ts';

/** A running schedule: calls its tick function at every tick (plus jitter) until stopped. */
export interface ScheduleTimer {
  /** When the next tick is due (ms since the epoch, before jitter); null when none is. */
  readonly nextAt: number | null;
  stop(): void;
}

/** setTimeout takes at most this many milliseconds; a later tick is waited for in steps. */
const LONGEST_TIMER_MS = 2 ** 31 - 1;

/**
 * Starts the timers of a schedule. The first tick is the schedule's first after now; each later one the
 * first after the tick before it (an interval keeps its cadence whatever the jitter), or after now when
 * ticks were missed (the process was suspended), so a late start never fires a burst of them.
 */
export function startScheduleTimer(options: {
  readonly schedule: ScheduleConfig;
  readonly onTick: () => void;
  /** @default Date.now */
  readonly now?: () => number;
  /** A number in [0, 1) for the jitter. @default Math.random */
  readonly random?: () => number;
}): ScheduleTimer {
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const clock = createScheduleClock(options.schedule);
  const { jitterMs } = options.schedule;
  let timer: NodeJS.Timeout | undefined;
  let nextAt: number | null = null;
  let stopped = false;

  const arm = (tick: number | null) => {
    nextAt = tick;
    if (stopped || tick === null) return;
    const fireAt = tick + (jitterMs > 0 ? Math.floor(random() * jitterMs) : 0);
    const wait = (at: number) => {
      const delay = at - now();
      timer = setTimeout(
        () => {
          if (stopped) return;
          if (now() < at) {
            wait(at);
            return;
          }
          const after = clock.nextTick(tick);
          arm(after !== null && after <= now() ? clock.nextTick(now()) : after);
          options.onTick();
        },
        Math.min(Math.max(0, delay), LONGEST_TIMER_MS),
      );
      // A schedule alone does not keep the process alive: the server's socket does.
      timer.unref();
    };
    wait(fireAt);
  };
  arm(clock.nextTick(now()));

  return {
    get nextAt() {
      return nextAt;
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
