import { asConcurrencyLimit } from '../core/concurrency-limit.ts';
import type { Ledger } from '../core/ledger-types.ts';
import type { RunOptions, RunResult } from '../engine/engine-types.ts';
import { readIntegration } from '../engine/read-integration.ts';
import type { IntegrationConfig } from '../integration/integration-schema.ts';
import type { Logger } from '../observability/logger.ts';
import type { PostgresLedger } from '../state/postgres-ledger.ts';
import type { PostgresCluster } from '../state/postgres-page-queue.ts';
import type { BuiltIntegration } from './build-integration.ts';
import type { StackEnvironment } from './http-stack.ts';
import { integrationFingerprint } from './integration-fingerprint.ts';
import { startPageWorker } from './page-worker.ts';
import { createSharedSlots, type SharedSlots } from './shared-slots.ts';

/** How long the reader's own worker may finish its records in flight once the run is over. */
const LOCAL_GRACE_MS = 10_000;

/** A ledger with the work queue beside it: a PostgreSQL one whose process opened the queue. */
export interface ClusterLedger {
  readonly ledger: PostgresLedger;
  readonly cluster: PostgresCluster;
}

/** True when `ledger` can lease pages (a PostgreSQL ledger). */
export function isPostgresLedger(ledger: Ledger): ledger is PostgresLedger {
  return typeof (ledger as Partial<PostgresLedger>).forLease === 'function';
}

/**
 * Runs an integration on a cluster: this process reads the source and enqueues its pages, and sends them
 * itself while no `ferry worker` serves its queue; workers that join take pages as they come.
 */
export async function runOnCluster(
  config: IntegrationConfig,
  built: BuiltIntegration,
  on: ClusterLedger,
  run: Omit<RunOptions, 'ledger' | 'source' | 'sink' | 'mapper' | 'concurrency' | 'integration'> & {
    readonly logger: () => Logger;
  },
): Promise<RunResult> {
  const fingerprint = await integrationFingerprint(config);
  const queue = on.cluster.queueName(config.name, fingerprint);
  await on.cluster.ensureQueue(queue);
  const slots = destinationSlots(on.cluster, config, built, run.logger());
  // Whether workers serve the queue, asked at most every 2 s by the local worker's loop.
  let workers = 0;
  let checkedAt = -Infinity;
  const local = startPageWorker({
    cluster: on.cluster,
    ledger: on.ledger,
    integrations: [{ queue, integration: config.name, sink: built.sink, mapper: built.mapping, slots }],
    concurrency: built.concurrency,
    logger: run.logger(),
    shouldTake: async () => {
      if (performance.now() - checkedAt > 2000) {
        checkedAt = performance.now();
        workers = await on.cluster.liveWorkers(queue).catch(() => workers);
      }
      return workers === 0;
    },
    ...(run.clock ? { clock: run.clock } : {}),
  });
  try {
    return await readIntegration({
      ...run,
      integration: config.name,
      ledger: on.ledger,
      source: built.source,
      mapper: built.mapping,
      sink: built.sink,
      pages: (runId) => on.cluster.forRun(config.name, runId, queue),
    });
  } finally {
    await local.stop(run.abortSignal?.aborted ? 0 : LOCAL_GRACE_MS);
    await slots.close();
  }
}

/** The destination's pace and breaker as the cluster shares them, for the integration's HTTP stacks. */
export function sharedDestination(cluster: PostgresCluster, integration: string): StackEnvironment['shared'] {
  const budget = cluster.destination(integration);
  return { rate: budget, breaker: budget.breaker };
}

/**
 * The records in flight the whole cluster may send to the destination: its `concurrency`, or an adaptive
 * one's `max` (each process's own limit then moves under its share), never a process's --concurrency.
 */
export function clusterConcurrency(config: IntegrationConfig): number | undefined {
  const configured = (config.destination.options as { concurrency?: unknown }).concurrency;
  if (typeof configured === 'number') return configured;
  const max = (configured as { max?: unknown } | undefined)?.max;
  return typeof max === 'number' ? max : undefined;
}

/**
 * This process's share of the destination's concurrency: destination.concurrency is the cluster's, split
 * between the processes sending; --concurrency (or the same setting) caps this process's share.
 */
export function destinationSlots(
  cluster: PostgresCluster,
  config: IntegrationConfig,
  built: BuiltIntegration,
  logger: Logger,
): SharedSlots {
  return createSharedSlots(cluster.destination(config.name), {
    total: clusterConcurrency(config) ?? asConcurrencyLimit(built.concurrency).max,
    want: built.concurrency,
    onError: (error) =>
      logger.warn(
        { error: String(error) },
        "cannot reach PostgreSQL to renew this process's share of the destination",
      ),
  });
}

/**
 * Opens the work queue beside the ledger when it is a PostgreSQL one (pg-boss is loaded only then), so runs
 * share their pages with workers; undefined for SQLite.
 */
export async function openCluster(
  ledger: Ledger,
  onError?: (message: string) => void,
): Promise<PostgresCluster | undefined> {
  if (!isPostgresLedger(ledger)) return undefined;
  const { openPostgresCluster } = await import('../state/postgres-page-queue.ts');
  return openPostgresCluster(ledger, onError ? { onError } : {});
}
