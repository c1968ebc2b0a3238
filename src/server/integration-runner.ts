import type { SharedTokens } from '../auth/shared-tokens.ts';
import type { Ledger, RunStatus } from '../core/ledger-types.ts';
import type { Logger } from '../observability/logger.ts';
import type { RunObserver } from '../observability/run-observer.ts';
import type { EventNotifier } from '../runtime/ledger-inbox.ts';
import { runJob } from '../runtime/run-job.ts';
import { createRunTelemetry } from '../runtime/run-telemetry.ts';
import type { LoadedIntegration } from './load-integrations.ts';
import type { ServerMetrics, Trigger } from './server-metrics.ts';

/** What a trigger did: started a run, queued one to follow the current run, or neither. */
export type TriggerAnswer = 'started' | 'queued' | 'skipped' | 'busy' | 'stopped';

/** How the last run of an integration ended, as `GET /api/integrations` shows it. */
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

/** An integration's runs under `ferry serve`: one at a time, whatever asks for one. */
export interface IntegrationRunner {
  readonly name: string;
  /** The config runs use; a reload replaces it, and the run going on keeps the one it started with. */
  loaded: LoadedIntegration;
  /**
   * Asks for a run. A schedule tick during a run is skipped (and counted); events, a start or a retry
   * during a run queue one more run after it; "run now" during a run is refused as busy.
   */
  trigger(reason: Trigger): TriggerAnswer;
  /** The run going on, if one is. */
  current(): { readonly trigger: Trigger; readonly runId: string | null; readonly startedAt: string } | null;
  lastRun(): LastRun | null;
  ticksSkipped(): number;
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
}

const MAX_RETRY_MS = 5 * 60_000;

/** Creates the runner of one integration; `notifier` is its webhook source's, when it has one. */
export function createIntegrationRunner(
  initial: LoadedIntegration,
  context: RunnerContext,
  notifier: EventNotifier | undefined,
): IntegrationRunner {
  const name = initial.config.name;
  const log = context.logger.child({ integration: name });
  let loaded = initial;
  let running:
    | {
        trigger: Trigger;
        runId: string | null;
        startedAt: string;
        stop: AbortController;
        abort: AbortController;
      }
    | undefined;
  let done: Promise<void> = Promise.resolve();
  let followUp: Trigger | undefined;
  let stopping = false;
  let last: LastRun | null = null;
  let skipped = 0;
  let failures = 0;
  let retryTimer: NodeJS.Timeout | undefined;

  const start = (trigger: Trigger) => {
    const stop = new AbortController();
    const abort = new AbortController();
    const run = { trigger, runId: null as string | null, startedAt: new Date().toISOString(), stop, abort };
    running = run;
    context.serverMetrics.runStarted(name, trigger);
    done = execute(run).finally(() => {
      running = undefined;
      if (!stopping) void afterRun();
    });
  };

  async function execute(run: NonNullable<typeof running>): Promise<void> {
    const config = loaded.config;
    const logger = log.child({ trigger: run.trigger });
    const telemetry = createRunTelemetry({
      integration: name,
      logger,
      detailLogger: logger,
      terminal: false,
      metrics: context.runMetrics(name),
      showProgress: false,
    });
    const started = telemetry.engineObserver.onRunStarted;
    telemetry.engineObserver.onRunStarted = (event) => {
      run.runId = event.runId;
      started?.(event);
    };
    try {
      const { result, report } = await runJob(config, {
        ledger: context.ledger,
        telemetry,
        stopSignal: run.stop.signal,
        abortSignal: run.abort.signal,
        ...(notifier ? { events: notifier } : {}),
        ...(context.sharedTokens ? { sharedTokens: context.sharedTokens } : {}),
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
      last = {
        runId: result.runId,
        trigger: run.trigger,
        status: result.status,
        startedAt: result.startedAt,
        endedAt: result.endedAt,
        counts: { ...result.counts },
        error: result.error ? `${result.error.message} [${result.error.code}]` : null,
      };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      logger.error({ err: error }, `run failed: ${message}`);
      last = {
        runId: run.runId,
        trigger: run.trigger,
        status: 'error',
        startedAt: run.startedAt,
        endedAt: new Date().toISOString(),
        counts: null,
        error: message,
      };
    }
    context.serverMetrics.runFinished(name, run.trigger, last.status);
  }

  async function afterRun(): Promise<void> {
    const failed = last?.status === 'aborted' || last?.status === 'error';
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
    failures = 0;
    const next = followUp;
    followUp = undefined;
    if (next !== undefined && next !== 'events') {
      runner.trigger(next);
      return;
    }
    if (loaded.webhook) {
      // Events the run did not take (some arrived as it ended) are taken now; events it took queue nothing.
      try {
        if ((await context.ledger.inboxStats(name)).pending > 0 && !stopping) runner.trigger('events');
      } catch (error) {
        log.error({ err: error }, 'reading the inbox failed');
      }
    }
  }

  const runner: IntegrationRunner = {
    name,
    get loaded() {
      return loaded;
    },
    set loaded(next) {
      loaded = next;
    },
    trigger(reason) {
      if (stopping) return 'stopped';
      if (running) {
        if (reason === 'schedule') {
          skipped++;
          context.serverMetrics.tickSkipped(name);
          log.info({ trigger: reason }, 'schedule tick skipped: a run is going on');
          return 'skipped';
        }
        if (reason === 'manual') return 'busy';
        followUp ??= reason;
        return 'queued';
      }
      clearTimeout(retryTimer);
      start(reason);
      return 'started';
    },
    current: () =>
      running ? { trigger: running.trigger, runId: running.runId, startedAt: running.startedAt } : null,
    lastRun: () => last,
    ticksSkipped: () => skipped,
    async stop(graceMs) {
      stopping = true;
      clearTimeout(retryTimer);
      const run = running;
      if (!run) return;
      run.stop.abort();
      const timer = setTimeout(() => run.abort.abort(), graceMs);
      try {
        await done;
      } finally {
        clearTimeout(timer);
      }
    },
  };
  return runner;
}
