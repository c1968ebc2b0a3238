import type { ScheduleConfig } from '../integration/schedule-schema.ts';
import { type ScheduleTimer, startScheduleTimer } from './schedule-timer.ts';

/** The schedule of one served integration: ticking once started, unless paused or stopped. */
export interface RunnerSchedule {
  /** When the next tick is due (ms since the epoch); null without a schedule, while paused, or stopped. */
  readonly nextAt: number | null;
  readonly paused: boolean;
  /** Starts ticking (serve calls it once the integration's start-up is done). */
  start(): void;
  /** Takes a reloaded schedule; an unchanged one keeps its cadence. */
  reconfigure(schedule: ScheduleConfig | null): void;
  pause(): void;
  /** Ticks again, the next tick counted from now. */
  resume(): void;
  /** Stops for good. */
  stop(): void;
}

/**
 * Keeps an integration's schedule timer: started after the integration's start-up, stopped while paused
 * and after a stop, restarted when a reload changes the schedule. `onTick` asks for a run; `onChange`
 * hears that the next tick moved (the metrics and the dashboard show it).
 */
export function createRunnerSchedule(options: {
  readonly schedule: ScheduleConfig | null;
  readonly onTick: () => void;
  readonly onChange: (nextAt: number | null) => void;
}): RunnerSchedule {
  let schedule = options.schedule;
  let timer: ScheduleTimer | undefined;
  let started = false;
  let paused = false;
  let stopped = false;

  const arm = () => {
    timer?.stop();
    timer = undefined;
    if (started && !paused && !stopped && schedule) {
      const armed = startScheduleTimer({
        schedule,
        onTick: () => {
          options.onTick();
          options.onChange(armed.nextAt);
        },
      });
      timer = armed;
    }
    options.onChange(timer?.nextAt ?? null);
  };

  return {
    get nextAt() {
      return timer?.nextAt ?? null;
    },
    get paused() {
      return paused;
    },
    start() {
      started = true;
      arm();
    },
    reconfigure(next) {
      if (JSON.stringify(next) === JSON.stringify(schedule)) return;
      schedule = next;
      arm();
    },
    pause() {
      paused = true;
      arm();
    },
    resume() {
      paused = false;
      arm();
    },
    stop() {
      stopped = true;
      timer?.stop();
      timer = undefined;
    },
  };
}
