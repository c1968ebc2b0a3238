import { asConcurrencyLimit } from '../core/concurrency-limit.ts';
import type { IntegrationConfig } from '../integration/integration-schema.ts';
import type { Logger } from '../observability/logger.ts';
import type { PostgresLedger } from '../state/postgres-ledger.ts';
import type { PostgresCluster } from '../state/postgres-page-queue.ts';
import { type BuiltIntegration, buildIntegration } from './build-integration.ts';
import { destinationSlots, sharedDestination } from './cluster-run.ts';
import { integrationFingerprint } from './integration-fingerprint.ts';
import { type PageWorker, type PageWorkerOptions, startPageWorker } from './page-worker.ts';
import type { SharedSlots } from './shared-slots.ts';

/** How often a worker says it is alive. */
const HEARTBEAT_MS = 2000;

/** A `ferry worker` at work. */
export interface WorkerProcess {
  /** The queues it serves, by integration. */
  readonly queues: ReadonlyMap<string, string>;
  /** Takes no more pages, lets what is in flight finish for up to `graceMs`, and says it left. */
  stop(graceMs: number): Promise<void>;
}

/** Options of startWorkerProcess. */
export interface WorkerProcessOptions {
  readonly configs: readonly IntegrationConfig[];
  readonly ledger: PostgresLedger;
  readonly cluster: PostgresCluster;
  /** Records this process sends at once (--concurrency); else the largest destination.concurrency. */
  readonly concurrency?: number;
  readonly logger: Logger;
  readonly onPage?: PageWorkerOptions['onPage'];
}

/**
 * Starts a worker of a cluster: builds each integration it is given once, joins the queues their pages are
 * enqueued in (named by the integration and its fingerprint, so only a worker with the reader's mapping and
 * destination takes them) and sends pages until stopped.
 */
export async function startWorkerProcess(options: WorkerProcessOptions): Promise<WorkerProcess> {
  const { cluster, logger } = options;
  const built: BuiltIntegration[] = [];
  const slots = new Map<string, SharedSlots>();
  const queues = new Map<string, string>();
  let worker: PageWorker | undefined;
  let beat: NodeJS.Timeout | undefined;
  try {
    for (const config of options.configs) {
      const fingerprint = await integrationFingerprint(config);
      const queue = cluster.queueName(config.name, fingerprint);
      await cluster.ensureQueue(queue);
      queues.set(config.name, queue);
      const one = await buildIntegration(config, {
        logger: () => logger.child({ integration: config.name }),
        ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
        shared: sharedDestination(cluster, config.name),
      });
      built.push(one);
      slots.set(config.name, destinationSlots(cluster, config, one, logger));
    }
    await cluster.register([...queues.values()]);
    beat = setInterval(() => {
      cluster.heartbeat().catch((error: unknown) => {
        logger.warn({ error: String(error) }, 'cannot reach PostgreSQL to say this worker is alive');
      });
    }, HEARTBEAT_MS);
    worker = startPageWorker({
      cluster,
      ledger: options.ledger,
      integrations: built.map((b) => ({
        queue: queues.get(b.config.name)!,
        integration: b.config.name,
        sink: b.sink,
        mapper: b.mapping,
        slots: slots.get(b.config.name)!,
      })),
      concurrency:
        options.concurrency ?? Math.max(...built.map((b) => asConcurrencyLimit(b.concurrency).max)),
      logger,
      ...(options.onPage ? { onPage: options.onPage } : {}),
    });
  } catch (error) {
    clearInterval(beat);
    await Promise.allSettled([...slots.values()].map((s) => s.close()));
    await Promise.allSettled(built.map((b) => b.close()));
    throw error;
  }
  for (const [integration, queue] of queues) logger.info({ integration, queue }, 'serving the queue');
  return {
    queues,
    async stop(graceMs) {
      await worker?.stop(graceMs);
      clearInterval(beat);
      await Promise.allSettled([...slots.values()].map((s) => s.close()));
      await cluster.unregister();
      await Promise.allSettled(built.map((b) => b.close()));
    },
  };
}
