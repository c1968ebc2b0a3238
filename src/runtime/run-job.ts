import type { SharedTokens } from '../auth/shared-tokens.ts';
import type { Ledger } from '../core/ledger-types.ts';
import type { RunResult } from '../engine/engine-types.ts';
import { runIntegration } from '../engine/run-integration.ts';
import type { IntegrationConfig } from '../integration/integration-schema.ts';
import type { LedgerReport, RunReport } from '../observability/run-reporter.ts';
import type { PostgresCluster } from '../state/postgres-page-queue.ts';
import { type BuiltIntegration, buildIntegration } from './build-integration.ts';
import { isPostgresLedger, runOnCluster, sharedDestination } from './cluster-run.ts';
import { type EventNotifier, ledgerInbox } from './ledger-inbox.ts';
import type { RunTelemetry } from './run-telemetry.ts';

/** What one run of an integration needs besides its config. */
export interface RunJobOptions {
  readonly ledger: Ledger;
  readonly telemetry: RunTelemetry;
  /** Where the ledger is and whether this run starts it, for the report. */
  readonly ledgerReport?: LedgerReport;
  /** --concurrency: wins over the destination's setting. */
  readonly concurrency?: number;
  /** Stop after this many source records. */
  readonly limit?: number;
  /** Aborting it stops reading; in-flight records finish. */
  readonly stopSignal?: AbortSignal;
  /** Aborting it abandons in-flight requests (they stay in_flight and are reconciled later). */
  readonly abortSignal?: AbortSignal;
  /**
   * Announces events stored in the integration's inbox while the run goes on (`ferry serve`): a webhook
   * source then waits for more instead of ending once it has read what waits.
   */
  readonly events?: EventNotifier;
  /** Token caches shared with the other runs of a long-lived process (ferry serve): one token per lifetime. */
  readonly sharedTokens?: SharedTokens;
  /**
   * The work queue beside a PostgreSQL ledger: the run reads and enqueues pages, and workers on any machine
   * send them (this process too, while none serves them). Without it the run sends everything itself.
   */
  readonly cluster?: PostgresCluster;
}

/** How a run ended, with its report (as stored in the ledger). */
export interface JobOutcome {
  readonly result: RunResult;
  readonly report: RunReport | undefined;
}

/**
 * Runs an integration once from start to report: builds its connectors, runs the engine, and records the
 * run's end and report in the ledger. `ferry run`, and later the server and workers, call it; presenting
 * the outcome (summary, exit code) is theirs.
 */
export async function runJob(config: IntegrationConfig, options: RunJobOptions): Promise<JobOutcome> {
  const { ledger, telemetry } = options;
  let built: BuiltIntegration | undefined;
  try {
    built = await buildIntegration(config, {
      observer: telemetry.observer,
      logger: telemetry.detailLogger,
      ...(options.concurrency ? { concurrency: options.concurrency } : {}),
      inbox: ledgerInbox(ledger, config.name, options.events),
      ...(options.sharedTokens ? { sharedTokens: options.sharedTokens } : {}),
      ...(options.cluster ? { shared: sharedDestination(options.cluster, config.name) } : {}),
    });
    const common = {
      quarantineLimit: {
        maxRatio: config.options.maxQuarantineRatio,
        minSample: config.options.quarantineSample,
      },
      ...(options.limit ? { limit: options.limit } : {}),
      ...(options.stopSignal ? { stopSignal: options.stopSignal } : {}),
      ...(options.abortSignal ? { abortSignal: options.abortSignal } : {}),
      observer: telemetry.engineObserver,
    };
    const result =
      options.cluster && isPostgresLedger(ledger)
        ? await runOnCluster(
            config,
            built,
            { ledger, cluster: options.cluster },
            { ...common, logger: telemetry.logger },
          )
        : await runIntegration({
            ...common,
            integration: config.name,
            source: built.source,
            sink: built.sink,
            mapper: built.mapping,
            ledger,
            concurrency: built.concurrency,
          });
    telemetry.stopProgress();
    const { stillQuarantined, stillFailed } = result.counts;
    const finished = telemetry.reporter()?.finish({
      status: result.status,
      endedAt: result.endedAt,
      known: { stillQuarantined, stillFailed },
    });
    const report = finished && {
      ...finished,
      ...(options.ledgerReport ? { ledger: options.ledgerReport } : {}),
    };
    await ledger.finishRun(result.runId, result.status, { ...result.counts }, report ?? null);
    return { result, report };
  } finally {
    telemetry.stopProgress();
    await built?.close();
  }
}
