import { randomUUID } from 'node:crypto';
import { FerryError } from '../core/errors.ts';
import { redactSecrets } from '../core/secret-registry.ts';
import type { ScheduleConfig } from '../integration/schedule-schema.ts';
import type { Logger } from '../observability/logger.ts';
import type { IntegrationRunner, RunnerEvent } from './integration-runner.ts';
import { progressOf } from './operations/operations-reader.ts';
import type {
  IntegrationControl,
  IntegrationStatus,
  OperationsEvent,
  ReplayStatus,
} from './operations/operations-types.ts';
import { summariseIntegration } from './operations/summarise-integration.ts';

/** The replays a server remembers for `GET /api/replays/{id}`; older ones are forgotten first. */
const KEPT_REPLAYS = 200;

/** The operations API's control over `ferry serve`'s runners, and the sink of their events. */
export interface ServeControl extends IntegrationControl {
  /** Passes a runner's event on to the subscribers, as the operations API's events. */
  runnerEvent(event: RunnerEvent): void;
}

const UNITS: readonly [string, number][] = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
  ['ms', 1],
];

/** A duration as a schedule is written: `10s`, `1h`, `1h 30m`. */
function interval(ms: number): string {
  const parts: string[] = [];
  let rest = ms;
  for (const [unit, size] of UNITS) {
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(`${n}${unit}`);
    rest -= n * size;
  }
  return parts.join(' ') || '0s';
}

/** A schedule in words, as the dashboard shows it: `every 30s`, `*\/5 * * * * Europe/Berlin`. */
export function describeSchedule(schedule: ScheduleConfig | null): string | null {
  if (!schedule) return null;
  const base =
    schedule.kind === 'every'
      ? `every ${interval(schedule.everyMs)}`
      : `${schedule.cron}${schedule.timezone ? ` ${schedule.timezone}` : ''}`;
  return schedule.jitterMs > 0 ? `${base}, up to ${interval(schedule.jitterMs)} later` : base;
}

/**
 * Implements IntegrationControl over the runners of `ferry serve`: every action goes through the runner
 * of its integration, so one run at a time holds whoever asks (schedule, webhook, operator, replay).
 */
export function createServeControl(options: {
  readonly runners: () => readonly IntegrationRunner[];
  readonly logger: Logger;
}): ServeControl {
  const listeners = new Set<(event: OperationsEvent) => void>();
  const replays = new Map<string, ReplayStatus>();

  const runnerOf = (name: string): IntegrationRunner => {
    const runner = options.runners().find((r) => r.name === name);
    if (!runner) throw new FerryError('FERRY_ERR_NOT_FOUND', `no integration ${name} on this server`);
    return runner;
  };
  const statusOf = (runner: IntegrationRunner): IntegrationStatus => {
    const { config, webhook } = runner.loaded;
    const nextAt = runner.nextRunAt();
    return {
      name: runner.name,
      state: runner.state(),
      schedule: describeSchedule(config.schedule),
      nextRunAt: nextAt === null ? null : new Date(nextAt).toISOString(),
      currentRunId: runner.current()?.runId ?? null,
      webhook: webhook !== undefined,
      config: summariseIntegration(config),
    };
  };
  const emit = (event: OperationsEvent) => {
    for (const listener of listeners) {
      try {
        listener(event);
      } catch (error) {
        options.logger.error({ err: error }, 'an operations event listener failed');
      }
    }
  };
  const keep = (replay: ReplayStatus) => {
    replays.delete(replay.id);
    replays.set(replay.id, replay);
    if (replays.size > KEPT_REPLAYS) replays.delete(replays.keys().next().value!);
  };

  return {
    list: () => options.runners().map(statusOf),
    get(name) {
      const runner = options.runners().find((r) => r.name === name);
      return runner && statusOf(runner);
    },
    runNow: (name) => runnerOf(name).runNow(),
    async pause(name) {
      const runner = runnerOf(name);
      runner.pause();
      return statusOf(runner);
    },
    async resume(name) {
      const runner = runnerOf(name);
      runner.resume();
      return statusOf(runner);
    },
    async stop(name) {
      const runId = await runnerOf(name).stopRun();
      if (runId === null)
        throw new FerryError('FERRY_ERR_NOT_FOUND', `the run of ${name} ended before it started`);
      return { runId };
    },
    async replay(name, ids) {
      const runner = runnerOf(name);
      const { started, finished } = runner.replay(ids);
      let status: ReplayStatus = {
        id: randomUUID(),
        integration: name,
        ids: [...ids],
        state: 'running',
        startedAt: new Date().toISOString(),
        endedAt: null,
        runId: null,
        status: null,
        counts: null,
        error: null,
      };
      keep(status);
      emit({ type: 'replay.started', replay: status });
      const settle = (next: ReplayStatus) => {
        status = next;
        keep(status);
        emit({ type: 'replay.finished', replay: status });
      };
      void finished.then(
        (result) =>
          settle({
            ...status,
            state: 'finished',
            endedAt: new Date().toISOString(),
            runId: result?.runId ?? status.runId,
            status: result?.status ?? null,
            counts: result
              ? { ...result.counts }
              : { read: 0, delivered: 0, skipped: 0, quarantined: 0, failed: 0 },
          }),
        (error: unknown) =>
          settle({
            ...status,
            state: 'failed',
            endedAt: new Date().toISOString(),
            error: redactSecrets(error instanceof Error ? error.message : String(error)),
          }),
      );
      const runId = await started;
      if (runId !== null && status.state === 'running') {
        status = { ...status, runId };
        keep(status);
      }
      return status;
    },
    getReplay: (id) => replays.get(id),
    liveReport(runId) {
      for (const runner of options.runners()) {
        const report = runner.liveReport(runId);
        if (report) return report;
      }
      return undefined;
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    runnerEvent(event) {
      if (listeners.size === 0) return;
      switch (event.type) {
        case 'state': {
          const runner = options.runners().find((r) => r.name === event.integration);
          if (runner) emit({ type: 'integration', integration: statusOf(runner) });
          return;
        }
        case 'run.progress':
          emit({ type: 'run.progress', ...progressOf(event.integration, event.report) });
          return;
        default:
          emit(event);
      }
    },
  };
}
