import { FerryError } from '../../src/core/errors.ts';
import type { Ledger } from '../../src/core/ledger-types.ts';
import { redactSecrets } from '../../src/core/secret-registry.ts';
import type { IntegrationConfig } from '../../src/integration/integration-schema.ts';
import type { Logger } from '../../src/observability/logger.ts';
import { replayJob } from '../../src/runtime/replay-job.ts';
import { runJob } from '../../src/runtime/run-job.ts';
import { createRunTelemetry, type RunTelemetry } from '../../src/runtime/run-telemetry.ts';
import { progressOf } from '../../src/server/operations/operations-reader.ts';
import type {
  IntegrationControl,
  IntegrationState,
  IntegrationStatus,
  OperationsEvent,
  ReplayStatus,
} from '../../src/server/operations/operations-types.ts';
import { summariseIntegration } from '../../src/server/operations/summarise-integration.ts';

interface Entry {
  config: IntegrationConfig;
  state: IntegrationState;
  paused: boolean;
  currentRunId: string | null;
  stop?: AbortController;
  telemetry?: RunTelemetry;
  /** Settles when the job going on ends (run or replay). */
  done: Promise<void>;
}

/** An IntegrationControl with nothing faked, and a way for tests to wait for jobs to end. */
export interface RunJobControl extends IntegrationControl {
  /** Resolves once no run or replay of the integration (or of any) goes on. */
  idle(name?: string): Promise<void>;
}

/**
 * The operations API's control over real runs, as `ferry serve` will provide it: every run through
 * runtime/run-job.ts and every replay through runtime/replay-job.ts, on one ledger, one job of an
 * integration at a time. No schedules: integrations run when asked (pause and resume only flip the state).
 * For tests, `npm run screenshots` and developing the dashboard before serve lands.
 */
export function createRunJobControl(options: {
  readonly ledger: Ledger;
  readonly configs: readonly IntegrationConfig[];
  readonly logger: Logger;
  /** Progress events at most this often per run. @default 100 */
  readonly progressEveryMs?: number;
}): RunJobControl {
  const { ledger, logger } = options;
  const progressEveryMs = options.progressEveryMs ?? 100;
  const entries = new Map<string, Entry>(
    options.configs.map((config) => [
      config.name,
      { config, state: 'idle', paused: false, currentRunId: null, done: Promise.resolve() },
    ]),
  );
  const listeners = new Set<(event: OperationsEvent) => void>();
  const replays = new Map<string, ReplayStatus>();
  let replayCount = 0;

  const emit = (event: OperationsEvent) => {
    for (const listener of listeners) listener(event);
  };
  const statusOf = (name: string, entry: Entry): IntegrationStatus => ({
    name,
    state: entry.state,
    schedule: null,
    nextRunAt: null,
    currentRunId: entry.currentRunId,
    webhook: false,
    config: summariseIntegration(entry.config),
  });
  const entryOf = (name: string): Entry => {
    const entry = entries.get(name);
    if (!entry) throw new FerryError('FERRY_ERR_NOT_FOUND', `no integration ${name} on this server`);
    return entry;
  };
  const setState = (name: string, entry: Entry, state: IntegrationState) => {
    entry.state = state;
    emit({ type: 'integration', integration: statusOf(name, entry) });
  };
  const idleState = (entry: Entry): IntegrationState => (entry.paused ? 'paused' : 'idle');
  const assertIdle = (name: string, entry: Entry) => {
    if (entry.state !== 'idle' && entry.state !== 'paused') {
      throw new FerryError(
        'FERRY_ERR_BUSY',
        `${name} is ${entry.state}; one job of an integration at a time`,
      );
    }
  };

  return {
    list: () => [...entries].map(([name, entry]) => statusOf(name, entry)),
    get: (name) => {
      const entry = entries.get(name);
      return entry && statusOf(name, entry);
    },

    async runNow(name) {
      const entry = entryOf(name);
      assertIdle(name, entry);
      const stop = new AbortController();
      const telemetry = createRunTelemetry({ integration: name, logger, showProgress: false });
      let lastProgress = 0;
      let resolveStarted!: (runId: string) => void;
      const started = new Promise<string>((resolve) => {
        resolveStarted = resolve;
      });
      const engine = telemetry.engineObserver;
      const watched: RunTelemetry = {
        ...telemetry,
        engineObserver: {
          ...engine,
          onRunStarted(run) {
            engine.onRunStarted?.(run);
            entry.currentRunId = run.runId;
            emit({ type: 'run.started', integration: name, runId: run.runId, startedAt: run.startedAt });
            setState(name, entry, 'running');
            resolveStarted(run.runId);
          },
          onRecordSettled(event) {
            engine.onRecordSettled?.(event);
            const report = telemetry.reporter();
            if (report && Date.now() - lastProgress >= progressEveryMs) {
              lastProgress = Date.now();
              emit({ type: 'run.progress', ...progressOf(name, report.toJSON()) });
            }
          },
        },
      };
      entry.stop = stop;
      entry.telemetry = watched;
      entry.state = 'running';
      const job = runJob(entry.config, { ledger, telemetry: watched, stopSignal: stop.signal });
      entry.done = job
        .then(
          ({ result }) => {
            emit({
              type: 'run.finished',
              integration: name,
              runId: result.runId,
              status: result.status,
              counts: { ...result.counts },
            });
          },
          (error: unknown) => {
            logger.error({ err: error, integration: name }, 'run failed before it ended');
          },
        )
        .finally(() => {
          entry.currentRunId = null;
          delete entry.stop;
          delete entry.telemetry;
          setState(name, entry, idleState(entry));
        });
      // A run that fails before the ledger gives it an id (a mapping that does not compile) says so here.
      const runId = await Promise.race([started, job.then(() => null)]);
      return { runId };
    },

    async pause(name) {
      const entry = entryOf(name);
      entry.paused = true;
      if (entry.state === 'idle') setState(name, entry, 'paused');
      return statusOf(name, entry);
    },

    async resume(name) {
      const entry = entryOf(name);
      entry.paused = false;
      if (entry.state === 'paused') setState(name, entry, 'idle');
      return statusOf(name, entry);
    },

    async stop(name) {
      const entry = entryOf(name);
      if (entry.state !== 'running' || !entry.stop || !entry.currentRunId) {
        throw new FerryError('FERRY_ERR_NOT_FOUND', `${name} has no run going on`);
      }
      entry.stop.abort();
      setState(name, entry, 'stopping');
      return { runId: entry.currentRunId };
    },

    async replay(name, ids) {
      const entry = entryOf(name);
      assertIdle(name, entry);
      const id = `replay-${++replayCount}`;
      let status: ReplayStatus = {
        id,
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
      replays.set(id, status);
      setState(name, entry, 'replaying');
      emit({ type: 'replay.started', replay: status });
      entry.done = replayJob(entry.config, { ledger, ids })
        .then(
          (result) => {
            status = {
              ...status,
              state: 'finished',
              endedAt: new Date().toISOString(),
              runId: result?.runId ?? null,
              status: result?.status ?? null,
              counts: result
                ? { ...result.counts }
                : { read: 0, delivered: 0, skipped: 0, quarantined: 0, failed: 0 },
            };
          },
          (error: unknown) => {
            status = {
              ...status,
              state: 'failed',
              endedAt: new Date().toISOString(),
              error: redactSecrets(error instanceof Error ? error.message : String(error)),
            };
          },
        )
        .finally(() => {
          replays.set(id, status);
          setState(name, entry, idleState(entry));
          emit({ type: 'replay.finished', replay: status });
        });
      return status;
    },

    getReplay: (id) => replays.get(id),

    liveReport(runId) {
      for (const entry of entries.values()) {
        if (entry.currentRunId === runId) return entry.telemetry?.reporter()?.toJSON();
      }
      return undefined;
    },

    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },

    async idle(name) {
      const waiting = name === undefined ? [...entries.values()] : [entryOf(name)];
      // A job's end may start nothing new here, but a test may have started another meanwhile: wait again.
      for (;;) {
        const pending = waiting.map((e) => e.done);
        await Promise.all(pending);
        if (waiting.every((e, i) => e.done === pending[i] && (e.state === 'idle' || e.state === 'paused')))
          return;
      }
    },
  };
}
