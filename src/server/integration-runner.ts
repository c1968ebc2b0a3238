import type { SharedTokens } from '../auth/shared-tokens.ts';
import { FerryError } from '../core/errors.ts';
import type { Ledger, RunStatus } from '../core/ledger-types.ts';
import type { RunResult } from '../engine/engine-types.ts';
import type { Logger } from '../observability/logger.ts';
import type { RunObserver } from '../observability/run-observer.ts';
import type { RunReport } from '../observability/run-reporter.ts';
import type { EventNotifier } from '../runtime/ledger-inbox.ts';
import { replayJob } from '../runtime/replay-job.ts';
import { runJob } from '../runtime/run-job.ts';
import { createRunTelemetry, type RunTelemetry } from '../runtime/run-telemetry.ts';
import type { PostgresCluster } from '../state/postgres-page-queue.ts';
import type { LoadedIntegration } from './load-integrations.ts';
import { createRunnerSchedule } from './runner-schedule.ts';
import type { ServerMetrics, Trigger } from './server-metrics.ts';

/** What a trigger did: started a run, queued one to follow the current run, or neither. */
export type TriggerAnswer = 'started' | 'queued' | 'skipped' | 'busy' | 'paused' | 'stopped';

/** Where an integration stands: running, replaying dead letters, stopping one of those, paused or idle. */
export type RunnerState = 'idle' | 'running' | 'stopping' | 'replaying' | 'paused';

/** How the last run of an integration ended (replays aside). */
export interface LastRun {
  readonly runId: string | null;
  readonly trigger: Trigger;
  /** The run's status, or `error` when it could not run at all (a ledger or config failure). */
  readonly status: RunStatus | 'error';
  readonly startedAt: string;
  readonly endedAt: string;
  readonly counts: Readonly<Record<string, number>> | null;
  readonly error: string | null;
}

/** How a replay of dead letters ended; null when none of the letters was left to replay. */
export type ReplayResult = Omit<RunResult, 'checkpoint' | 'recoveredRuns'> | null;

/** The run or replay going on. */
export interface CurrentJob {
  readonly kind: 'run' | 'replay';
  readonly trigger: Trigger;
  /** Known once the ledger gave it one. */
  readonly runId: string | null;
  readonly startedAt: string;
  /** Asked to stop: it reads no more and settles what is in flight. */
  readonly stopping: boolean;
}

/** What a runner tells the server as it happens (the dashboard's live updates). */
export type RunnerEvent =
  | { readonly type: 'state'; readonly integration: string }
  | {
      readonly type: 'run.started';
      readonly integration: string;
      readonly runId: string;
      readonly startedAt: string;
    }
  | { readonly type: 'run.progress'; readonly integration: string; readonly report: RunReport }
  | {
      readonly type: 'run.finished';
      readonly integration: string;
      readonly runId: string;
      readonly status: RunStatus;
      readonly counts: Readonly<Record<string, number>>;
    };

/** An integration's runs under `ferry serve`: one at a time, whatever asks for one (replays included). */
export interface IntegrationRunner {
  readonly name: string;
  /**
   * The config runs use; a reload replaces it, and the run going on keeps the one it started with. A new
   * schedule applies at once; an unchanged one keeps its cadence.
   */
  loaded: LoadedIntegration;
  /**
   * Asks for a run. A schedule tick during a run is skipped (and counted); events, a start or a retry
   * during a run queue one more run after it; "run now" during a run is refused as busy. While paused,
   * ticks, events and retries start nothing (events wait in the inbox until `resume`).
   */
  trigger(reason: Trigger): TriggerAnswer;
  /**
   * Starts a run now, paused or not; resolves with its run id once the ledger gave it one (null when it
   * failed before). Rejects with FERRY_ERR_BUSY while a run or replay goes on, or serve stops.
   */
  runNow(): Promise<{ readonly runId: string | null }>;
  /**
   * Starts replaying these dead letters through the current mapping and destination, as a run of its own;
   * throws FERRY_ERR_BUSY while a run or replay goes on. `started` resolves once the ledger gave the
   * replay its run id (null when nothing was left to replay), `finished` when it ended.
   */
  replay(ids: readonly number[]): {
    readonly started: Promise<string | null>;
    readonly finished: Promise<ReplayResult>;
  };
  /**
   * Stops the run or replay going on gracefully (no more reading; what is in flight settles; the checkpoint
   * is saved) and resolves to its run id (null when it ended before the ledger gave it one); the integration
   * keeps its schedule and events. Rejects with FERRY_ERR_NOT_FOUND when nothing goes on.
   */
  stopRun(): Promise<string | null>;
  current(): CurrentJob | null;
  state(): RunnerState;
  /** The report of the run going on, as it stands. */
  liveReport(runId: string): RunReport | undefined;
  lastRun(): LastRun | null;
  ticksSkipped(): number;
  /** Webhook events runs read since the server started. */
  eventsProcessed(): number;
  /** When the next scheduled tick is due (ms since the epoch); null without schedule or while paused. */
  nextRunAt(): number | null;
  /** Starts the schedule ticking. */
  startSchedule(): void;
  /** Starts no scheduled and no event runs until `resume` (run now and replays still work). */
  pause(): void;
  /** Ticks again from now, and takes the events that waited. */
  resume(): void;
  readonly paused: boolean;
  /**
   * Starts no more runs and stops the one going on: it stops reading, settles what is in flight for up to
   * `graceMs`, then abandons the rest (left in flight in the ledger, reconciled by the next run).
   */
  stop(graceMs: number): Promise<void>;
}

/** What every runner shares: the ledger, metrics and logs of the server. */
export interface RunnerContext {
  readonly ledger: Ledger;
  readonly logger: Logger;
  readonly runMetrics: (integration: string) => RunObserver;
  readonly serverMetrics: ServerMetrics;
  /** Delay before retrying an integration fed by events whose run failed; doubles up to 5 minutes. */
  readonly retryBaseMs?: number;
  /** Tokens every run of the server reuses while they are good. */
  readonly sharedTokens?: SharedTokens;
  /** Hears every runner's events. */
  readonly onEvent?: (event: RunnerEvent) => void;
  /** Progress of a run is told at most this often. @default 250 */
  readonly progressEveryMs?: number;
  /** The work queue beside a PostgreSQL ledger: runs share their pages with `ferry worker` processes. */
  readonly cluster?: PostgresCluster;
}

const MAX_RETRY_MS = 5 * 60_000;

interface Job {
  readonly kind: 'run' | 'replay';
  readonly trigger: Trigger;
  runId: string | null;
  readonly startedAt: string;
  readonly stop: AbortController;
  readonly abort: AbortController;
  telemetry?: RunTelemetry;
  /** Resolves with the run id once known, or null once the job ended without one. */
  readonly idKnown: Promise<string | null>;
  readonly knowId: (runId: string | null) => void;
}

/** Creates the runner of one integration; `notifier` is its webhook source's, when it has one. */
export function createIntegrationRunner(
  initial: LoadedIntegration,
  context: RunnerContext,
  notifier: EventNotifier | undefined,
): IntegrationRunner {
  const name = initial.config.name;
  const log = context.logger.child({ integration: name });
  const progressEveryMs = context.progressEveryMs ?? 250;
  const emit = (event: RunnerEvent) => context.onEvent?.(event);
  const changed = () => emit({ type: 'state', integration: name });
  let loaded = initial;
  let running: Job | undefined;
  let done: Promise<unknown> = Promise.resolve();
  let followUp: Trigger | undefined;
  let stopping = false;
  let last: LastRun | null = null;
  let skipped = 0;
  let processed = 0;
  let failures = 0;
  let retryTimer: NodeJS.Timeout | undefined;
  const schedule = createRunnerSchedule({
    schedule: initial.config.schedule,
    onTick: () => runner.trigger('schedule'),
    onChange: (nextAt) => {
      context.serverMetrics.nextRunAt(name, nextAt);
      changed();
    },
  });

  const busy = (): FerryError =>
    new FerryError(
      'FERRY_ERR_BUSY',
      stopping
        ? `ferry serve is stopping; ${name} starts nothing more`
        : `${name} is ${runner.state()}; one run of an integration at a time: ask again once it has ended`,
    );

  function begin<T>(kind: Job['kind'], trigger: Trigger, work: (job: Job) => Promise<T>): Promise<T> {
    let knowId!: (runId: string | null) => void;
    const idKnown = new Promise<string | null>((resolve) => {
      knowId = resolve;
    });
    const job: Job = {
      kind,
      trigger,
      runId: null,
      startedAt: new Date().toISOString(),
      stop: new AbortController(),
      abort: new AbortController(),
      idKnown,
      knowId,
    };
    running = job;
    context.serverMetrics.runStarted(name, trigger);
    changed();
    const result = work(job);
    done = result
      .catch(() => undefined)
      .finally(() => {
        job.knowId(null);
        running = undefined;
        changed();
        if (!stopping) void afterJob(job);
      });
    return result;
  }

  const jobStarted = (job: Job, runId: string) => {
    job.runId = runId;
    job.knowId(runId);
    changed();
  };

  async function executeRun(job: Job): Promise<void> {
    const config = loaded.config;
    const logger = log.child({ trigger: job.trigger });
    const telemetry = createRunTelemetry({
      integration: name,
      logger,
      detailLogger: logger,
      terminal: false,
      metrics: context.runMetrics(name),
      showProgress: false,
    });
    const engine = telemetry.engineObserver;
    let lastProgress = 0;
    job.telemetry = {
      ...telemetry,
      engineObserver: {
        ...engine,
        onRunStarted(event) {
          engine.onRunStarted?.(event);
          emit({ type: 'run.started', integration: name, runId: event.runId, startedAt: event.startedAt });
          jobStarted(job, event.runId);
        },
        onRecordSettled(event) {
          engine.onRecordSettled?.(event);
          const now = Date.now();
          if (now - lastProgress < progressEveryMs) return;
          const report = telemetry.reporter()?.toJSON();
          if (!report) return;
          lastProgress = now;
          emit({ type: 'run.progress', integration: name, report });
        },
      },
    };
    try {
      const { result, report } = await runJob(config, {
        ledger: context.ledger,
        telemetry: job.telemetry,
        stopSignal: job.stop.signal,
        abortSignal: job.abort.signal,
        ...(notifier ? { events: notifier } : {}),
        ...(context.sharedTokens ? { sharedTokens: context.sharedTokens } : {}),
        ...(context.cluster ? { cluster: context.cluster } : {}),
      });
      const runLog = telemetry.logger();
      if (result.error) {
        runLog.error(
          { err: result.error, code: result.error.code, checkpoint: result.checkpoint },
          `run aborted: ${result.error.message} [${result.error.code}]`,
        );
      } else if (result.status === 'interrupted') {
        runLog.warn({ checkpoint: result.checkpoint }, 'run interrupted; the next run resumes it');
      }
      runLog.info(
        {
          status: result.status,
          counts: result.counts,
          ...(report
            ? {
                durationMs: report.durationMs,
                ratePerSec: report.ratePerSec,
                retries: report.retries,
                rateLimited: report.rateLimited,
                deadLettersByReason: report.deadLetters.byReason,
              }
            : {}),
        },
        'run finished',
      );
      if (loaded.webhook) processed += result.counts.read;
      last = {
        runId: result.runId,
        trigger: job.trigger,
        status: result.status,
        startedAt: result.startedAt,
        endedAt: result.endedAt,
        counts: { ...result.counts },
        error: result.error ? `${result.error.message} [${result.error.code}]` : null,
      };
      emit({
        type: 'run.finished',
        integration: name,
        runId: result.runId,
        status: result.status,
        counts: { ...result.counts },
      });
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      logger.error({ err: error }, `run failed: ${message}`);
      last = {
        runId: job.runId,
        trigger: job.trigger,
        status: 'error',
        startedAt: job.startedAt,
        endedAt: new Date().toISOString(),
        counts: null,
        error: message,
      };
    }
    context.serverMetrics.runFinished(name, job.trigger, last.status);
  }

  async function executeReplay(job: Job, ids: readonly number[]): Promise<ReplayResult> {
    const logger = log.child({ trigger: 'replay' });
    try {
      const result = await replayJob(loaded.config, {
        ledger: context.ledger,
        ids,
        stopSignal: job.stop.signal,
        onRunStarted: ({ runId }) => jobStarted(job, runId),
      });
      logger.info(
        {
          letters: ids.length,
          ...(result ? { runId: result.runId, status: result.status, counts: result.counts } : {}),
        },
        result ? 'replay finished' : 'replay found nothing left to replay',
      );
      context.serverMetrics.runFinished(name, 'replay', result?.status ?? 'completed');
      return result;
    } catch (error) {
      logger.error(
        { err: error },
        `replay failed: ${error instanceof Error ? error.message : String(error)}`,
      );
      context.serverMetrics.runFinished(name, 'replay', 'error');
      throw error;
    }
  }

  /** What follows a job: a retry after a failure, the run queued meanwhile, or the events that waited. */
  async function afterJob(job: Job): Promise<void> {
    const failed = job.kind === 'run' && (last?.status === 'aborted' || last?.status === 'error');
    if (failed) {
      failures++;
      // A schedule retries at its next tick; events would wait for the next one to arrive, so they get
      // a retry of their own, backing off while the failure lasts.
      if (loaded.webhook) {
        const delay = Math.min((context.retryBaseMs ?? 5_000) * 2 ** (failures - 1), MAX_RETRY_MS);
        log.warn({ retryInMs: delay }, `the run failed; retrying in ${Math.round(delay / 1000)}s`);
        clearTimeout(retryTimer);
        retryTimer = setTimeout(() => runner.trigger('retry'), delay);
        retryTimer.unref();
      }
      followUp = undefined;
      return;
    }
    if (job.kind === 'run') failures = 0;
    const next = followUp;
    followUp = undefined;
    if (next !== undefined && next !== 'events') {
      runner.trigger(next);
      return;
    }
    await takeWaitingEvents();
  }

  /** Events the last run did not take (some arrived as it ended, or while paused) start a run now. */
  async function takeWaitingEvents(): Promise<void> {
    if (!loaded.webhook || running || stopping || schedule.paused) return;
    try {
      if ((await context.ledger.inboxStats(name)).pending > 0) runner.trigger('events');
    } catch (error) {
      log.error({ err: error }, 'reading the inbox failed');
    }
  }

  const runner: IntegrationRunner = {
    name,
    get loaded() {
      return loaded;
    },
    set loaded(next) {
      loaded = next;
      schedule.reconfigure(next.config.schedule);
      changed();
    },
    trigger(reason) {
      if (stopping) return 'stopped';
      if (schedule.paused && (reason === 'schedule' || reason === 'events' || reason === 'retry')) {
        return 'paused';
      }
      if (running) {
        if (reason === 'schedule') {
          skipped++;
          context.serverMetrics.tickSkipped(name);
          log.info({ trigger: reason }, 'schedule tick skipped: a run is going on');
          return 'skipped';
        }
        if (reason === 'manual' || reason === 'replay') return 'busy';
        followUp ??= reason;
        return 'queued';
      }
      clearTimeout(retryTimer);
      void begin('run', reason, executeRun);
      return 'started';
    },
    async runNow() {
      const answer = runner.trigger('manual');
      if (answer !== 'started') throw busy();
      return { runId: await running!.idKnown };
    },
    replay(ids) {
      if (stopping || running) throw busy();
      clearTimeout(retryTimer);
      let job!: Job;
      const finished = begin('replay', 'replay', (started) => {
        job = started;
        return executeReplay(started, ids);
      });
      return { started: job.idKnown, finished };
    },
    async stopRun() {
      const job = running;
      if (!job) throw new FerryError('FERRY_ERR_NOT_FOUND', `${name} has no run going on`);
      if (!job.stop.signal.aborted) {
        log.info({ runId: job.runId, kind: job.kind }, `stopping the ${job.kind} going on`);
        job.stop.abort();
        changed();
      }
      return job.runId ?? (await job.idKnown);
    },
    current: () =>
      running
        ? {
            kind: running.kind,
            trigger: running.trigger,
            runId: running.runId,
            startedAt: running.startedAt,
            stopping: running.stop.signal.aborted,
          }
        : null,
    state() {
      if (running) {
        if (running.stop.signal.aborted) return 'stopping';
        return running.kind === 'replay' ? 'replaying' : 'running';
      }
      return schedule.paused ? 'paused' : 'idle';
    },
    liveReport(runId) {
      if (!running || running.runId !== runId) return undefined;
      return running.telemetry?.reporter()?.toJSON();
    },
    lastRun: () => last,
    ticksSkipped: () => skipped,
    eventsProcessed: () => processed,
    nextRunAt: () => schedule.nextAt,
    startSchedule: () => schedule.start(),
    pause() {
      if (schedule.paused) return;
      clearTimeout(retryTimer);
      schedule.pause();
      log.info('paused: scheduled and event runs wait until resumed');
    },
    resume() {
      if (!schedule.paused) return;
      schedule.resume();
      log.info('resumed');
      void takeWaitingEvents();
    },
    get paused() {
      return schedule.paused;
    },
    async stop(graceMs) {
      stopping = true;
      clearTimeout(retryTimer);
      schedule.stop();
      const job = running;
      if (!job) return;
      job.stop.abort();
      changed();
      const timer = setTimeout(() => job.abort.abort(), graceMs);
      try {
        await done;
      } finally {
        clearTimeout(timer);
      }
    },
  };
  return runner;
}
