import { setTimeout as sleep } from 'node:timers/promises';
import type { ConcurrencyLimit } from '../core/concurrency-limit.ts';
import type { SinkConnector } from '../core/connector-types.ts';
import { FerryError, hasErrorCode } from '../core/errors.ts';
import type { RecordOutcome } from '../core/page-types.ts';
import { redactSecrets } from '../core/secret-registry.ts';
import type { RecordMapper } from '../engine/engine-types.ts';
import { processPage } from '../engine/process-page.ts';
import { createSlots, type Slots } from '../engine/slots.ts';
import type { Logger } from '../observability/logger.ts';
import type { PostgresLedger } from '../state/postgres-ledger.ts';
import type { PostgresCluster, TakenPage } from '../state/postgres-page-queue.ts';
import { startLeaseClock } from './page-lease.ts';

/** An integration a worker sends pages of: its queue and its connectors, built once. */
export interface WorkerIntegration {
  readonly queue: string;
  readonly integration: string;
  readonly sink: SinkConnector;
  readonly mapper: RecordMapper;
  /**
   * The slots its records are sent under: this process's share of the destination's concurrency, told
   * when the process has pages of it (busy) and when not. @default the worker's own `concurrency`
   */
  readonly slots?: Slots & { busy?(busy: boolean): void };
}

/** Options of startPageWorker. */
export interface PageWorkerOptions {
  readonly cluster: PostgresCluster;
  readonly ledger: PostgresLedger;
  readonly integrations: readonly WorkerIntegration[];
  /** Records this process sends at once, over every page it has. */
  readonly concurrency: number | ConcurrencyLimit;
  /** Pages it holds at once: a second one keeps its slots busy while the first one's last records finish. @default 2 */
  readonly pagesAtOnce?: number;
  /** Asked before taking a page of a queue (a reader only takes its own pages while no worker serves them). */
  readonly shouldTake?: (queue: string) => boolean | Promise<boolean>;
  readonly logger: Logger;
  readonly clock?: () => Date;
  /** How long to wait before looking again when no page waits. @default 250 */
  readonly idleMs?: number;
  /** Told how each page ended (tests, metrics). */
  readonly onPage?: (event: { readonly page: TakenPage; readonly ended: PageEnd }) => void;
}

/** How a worker's turn with a page ended. */
export type PageEnd = 'settled' | 'failed' | 'lost' | 'released';

/** A running worker loop. */
export interface PageWorker {
  /**
   * Takes no more pages and stops sending more records; waits up to `graceMs` for the records in flight,
   * then abandons them (their pages are taken over once their leases run out).
   */
  stop(graceMs: number): Promise<void>;
  /** Pages it holds now. */
  active(): number;
}

/** Taken off the lease on this side (see page-lease.ts): a send that passed the check leaves well before. */
const LEASE_MARGIN_MS = 3000;
const RENEW_EVERY_MS = 2000;

/**
 * Takes pages from the queues of its integrations and sends them: each page under a lease renewed while it
 * is sent, its ledger writes fenced by that lease, its outcome stored and its job completed in one
 * transaction. A page whose lease is lost (this process was cut off, or too slow) is dropped at once: its
 * requests are aborted and nothing more of it is written or sent; another worker reconciles it.
 */
export function startPageWorker(options: PageWorkerOptions): PageWorker {
  const { cluster, ledger, logger } = options;
  const pagesAtOnce = options.pagesAtOnce ?? 2;
  const idleMs = options.idleMs ?? 250;
  const ownSlots = createSlots(options.concurrency);
  /** Pages held per integration, to tell its slots whether this process sends to it. */
  const holding = new Map<string, number>();
  const hold = (integration: WorkerIntegration, change: 1 | -1) => {
    const count = (holding.get(integration.queue) ?? 0) + change;
    holding.set(integration.queue, count);
    if (count === 0 || (count === 1 && change === 1)) integration.slots?.busy?.(count > 0);
  };
  const stopTaking = new AbortController();
  const hardStop = new AbortController();
  const running = new Set<Promise<void>>();
  let wake: (() => void) | undefined;
  // After a page given back for a failure here (the ledger cannot be written), this process waits before it
  // takes another, longer each time: taking it straight back would only fail again.
  let troubles = 0;
  let pausedUntil = 0;
  const byQueue = new Map(options.integrations.map((i) => [i.queue, i]));

  async function handle(page: TakenPage, integration: WorkerIntegration): Promise<PageEnd> {
    const log = logger.child({ integration: page.integration, runId: page.runId, page: page.pageNo });
    const lease = startLeaseClock({
      leaseMs: cluster.leaseSeconds * 1000,
      marginMs: LEASE_MARGIN_MS,
      from: page.leaseFrom,
      everyMs: RENEW_EVERY_MS,
      renew: () => cluster.renew(page.lease),
      what: `page ${page.pageNo} of run ${page.runId} (${page.integration})`,
    });
    const view = ledger.forLease(page.lease);
    try {
      if (page.lease.attempt > 0) {
        log.info({ attempt: page.lease.attempt }, 'taking over a page another worker did not finish');
      }
      const outcome = await processPage(page.records, {
        ctx: {
          integration: page.integration,
          runId: page.runId,
          ledger: view,
          sink: integration.sink,
          mapper: integration.mapper,
          clock: options.clock ?? (() => new Date()),
          lookupUnknown: page.lookupUnknown,
          abortSignal: AbortSignal.any([lease.signal, hardStop.signal]),
          onLedgerError: () => {},
        },
        slots: integration.slots ?? ownSlots,
        comparesRepeats: page.comparesRepeats,
        takeover: page.lease.attempt > 0,
        stopSignal: stopTaking.signal,
      });
      let flushError: unknown;
      await view.flush().catch((error: unknown) => {
        flushError = error;
      });
      const lost =
        lease.signal.aborted ||
        hasErrorCode(outcome.error, 'FERRY_ERR_LEASE_LOST') ||
        hasErrorCode(flushError, 'FERRY_ERR_LEASE_LOST');
      if (lost) {
        log.warn('lost the lease on the page: sending nothing more of it; another worker takes it over');
        return 'lost';
      }
      if (outcome.complete && flushError === undefined) {
        const settled = await cluster.settle(page, outcome.outcomes as RecordOutcome[], outcome.retryFrom);
        if (!settled) {
          log.warn('lost the lease on the page before its outcome was stored; another worker takes it over');
          return 'lost';
        }
        troubles = 0;
        log.debug({ records: page.records.length }, 'page settled');
        return 'settled';
      }
      const error = outcome.error ?? flushError;
      if (error !== undefined && !stoppedByUs(error) && !isLedgerError(error)) {
        const ferryError = error instanceof FerryError ? error : undefined;
        const reported = {
          code: ferryError?.code ?? 'FERRY_ERR_INTERNAL',
          message: redactSecrets(error instanceof Error ? error.message : String(error)),
        };
        log.error({ code: reported.code }, `page stopped: ${reported.message}`);
        return (await cluster.reportFailure(page, reported)) ? 'failed' : 'lost';
      }
      // Stopped by this process (or its ledger failed): the records it sent are settled, the rest are
      // not on the wire; another worker may take the page at once.
      if (error !== undefined && !stoppedByUs(error)) {
        troubles++;
        pausedUntil = performance.now() + Math.min(5000, 250 * 2 ** troubles);
        log.warn({ err: error }, 'page given back: the ledger cannot be written');
      }
      if (!hardStop.signal.aborted) await cluster.release(page);
      return 'released';
    } finally {
      lease.stop();
      await view.close().catch(() => {});
    }
  }

  function stoppedByUs(error: unknown): boolean {
    return hardStop.signal.aborted || stopTaking.signal.aborted || hasErrorCode(error, 'FERRY_ERR_ABORTED');
  }

  async function takeOne(): Promise<boolean> {
    for (const integration of options.integrations) {
      if (stopTaking.signal.aborted) return false;
      if (options.shouldTake && !(await options.shouldTake(integration.queue))) continue;
      const page = await cluster.take(integration.queue);
      if (page === null) continue;
      const own = byQueue.get(page.lease.queue) ?? integration;
      hold(own, 1);
      const task = handle(page, own)
        .catch((error: unknown) => {
          logger.error({ err: error, page: page.pageNo }, 'page failed unexpectedly');
          return 'released' as PageEnd;
        })
        .then((ended) => options.onPage?.({ page, ended }))
        .finally(() => {
          hold(own, -1);
          running.delete(task);
          wake?.();
        });
      running.add(task);
      return true;
    }
    return false;
  }

  const loop = (async () => {
    let failures = 0;
    while (!stopTaking.signal.aborted) {
      if (running.size >= pagesAtOnce) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          stopTaking.signal.addEventListener('abort', () => resolve(), { once: true });
        });
        continue;
      }
      const pause = pausedUntil - performance.now();
      if (pause > 0) {
        await sleep(pause, undefined, { signal: stopTaking.signal }).catch(() => {});
        continue;
      }
      let took: boolean;
      try {
        took = await takeOne();
        failures = 0;
      } catch (error) {
        failures++;
        logger.warn(
          { error: redactSecrets(String(error)), attempt: failures },
          'cannot take pages from the queue; trying again',
        );
        await sleep(Math.min(5000, 100 * 2 ** failures), undefined, { signal: stopTaking.signal }).catch(
          () => {},
        );
        continue;
      }
      if (!took) {
        await sleep(idleMs, undefined, { signal: stopTaking.signal }).catch(() => {});
      }
    }
  })();

  return {
    async stop(graceMs) {
      stopTaking.abort();
      await loop;
      const finished = Promise.allSettled([...running]);
      const timer = setTimeout(() => hardStop.abort(), graceMs);
      await finished;
      clearTimeout(timer);
    },
    active: () => running.size,
  };
}

function isLedgerError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('FERRY_ERR_STATE');
}
