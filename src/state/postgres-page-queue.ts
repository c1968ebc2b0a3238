import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { type Db, PgBoss } from 'pg-boss';
import { FerryError } from '../core/errors.ts';
import type { CursorValue } from '../core/ledger-types.ts';
import type { PageResult, PageToSend, QueuedRecord, RecordOutcome, RunPages } from '../core/page-types.ts';
import { redactSecrets } from '../core/secret-registry.ts';
import { createDestinationBudget, type DestinationBudget } from './postgres-destination-budget.ts';
import { postgresStateError, withReconnect } from './postgres-errors.ts';
import type { PageLease, PostgresLedger } from './postgres-ledger.ts';
import { quoteIdent } from './postgres-migrations.ts';

/**
 * How long a lease lasts without a renewal: pg-boss's heartbeat, whose smallest value is 10 s. A worker that
 * stops renewing (killed, cut off) loses its page this long after its last renewal, give or take one pass
 * of pg-boss's supervisor (SUPERVISE_SECONDS).
 */
export const LEASE_SECONDS = 10;
/** How often pg-boss's supervisor looks for jobs whose heartbeat stopped. */
const SUPERVISE_SECONDS = 2;
/** How long a `ferry worker` counts as present after its last heartbeat. */
const WORKER_ALIVE_SECONDS = 10;

/** A page a worker took: its records and the lease its writes are fenced with. */
export interface TakenPage {
  readonly id: number;
  readonly integration: string;
  readonly runId: string;
  readonly pageNo: number;
  readonly records: readonly QueuedRecord[];
  readonly lookupUnknown: boolean;
  readonly comparesRepeats: boolean;
  readonly lease: PageLease;
  /** performance.now() just before the job was fetched: the lease runs from no earlier than this. */
  readonly leaseFrom: number;
}

/** What one process of a cluster does with the queue: read's side and the workers' side. */
export interface PostgresCluster {
  /** The schema pg-boss's tables are in. */
  readonly bossSchema: string;
  /** How long a lease lasts without a renewal. */
  readonly leaseSeconds: number;
  /** The queue of an integration's pages sent with this fingerprint (see integration-fingerprint.ts). */
  queueName(integration: string, fingerprint: string): string;
  /** Creates the queue unless it exists. */
  ensureQueue(queue: string): Promise<void>;
  /** The pages of one run, for its reader. */
  forRun(integration: string, runId: string, queue: string): RunPages;
  /** How many `ferry worker` processes serve the queue now. */
  liveWorkers(queue: string): Promise<number>;
  /** What this process shares with the others about the integration's destination: pace, slots, breaker. */
  destination(integration: string): DestinationBudget;

  /** Takes the next page of the queue under a lease, or null when none waits. */
  take(queue: string): Promise<TakenPage | null>;
  /** Renews the lease; false when it is gone (expired and given to another worker, or cancelled). */
  renew(lease: PageLease): Promise<boolean>;
  /** Stores the page's outcome and completes its job in one transaction; false when the lease is gone. */
  settle(
    page: TakenPage,
    outcomes: readonly RecordOutcome[],
    retryFrom: CursorValue | null,
  ): Promise<boolean>;
  /** Records that the page cannot be sent (the run must stop) and completes its job; false when the lease is gone. */
  reportFailure(page: TakenPage, error: { code: string; message: string }): Promise<boolean>;
  /** Gives the page back at once (nothing of it is on the wire any more), for another worker to take. */
  release(page: TakenPage): Promise<void>;

  /** Says that this process serves these queues as a `ferry worker`, until unregister() or it stops beating. */
  register(queues: readonly string[]): Promise<void>;
  heartbeat(): Promise<void>;
  unregister(): Promise<void>;
  close(): Promise<void>;
}

/** The pg-boss schema beside ferry's: one per ferry schema, so several ledgers in a database stay apart. */
export function bossSchemaFor(schema: string): string {
  return schema === 'public' ? 'ferry_queue' : `${schema}_queue`;
}

type Row = Record<string, unknown>;

/** An IDatabase for pg-boss that runs its statements in our transaction on `client`. */
function inTransaction(client: pg.PoolClient): Db {
  return {
    executeSql: async (text, values) => {
      const result = await client.query(text, values as unknown[] | undefined);
      return { rows: result.rows };
    },
  };
}

/**
 * Opens the work queue beside a PostgreSQL ledger: pg-boss (its own schema, migrated on start) for the jobs,
 * ferry's `pages` table for what they carry (json: a hostile record may hold a \u0000 that jsonb refuses).
 * pg-boss gives each page to one worker at a time (SKIP LOCKED), takes it back when the worker's heartbeat
 * stops, and tells attempts apart (retry_count); ferry fences every write of a page with its attempt.
 */
export async function openPostgresCluster(
  ledger: PostgresLedger,
  options: {
    readonly onError?: (error: string) => void;
    /** Tests shorten how often the supervisor looks for expired leases. @default 2 */
    readonly superviseSeconds?: number;
  } = {},
): Promise<PostgresCluster> {
  const where = ledger.location;
  const bossSchema = bossSchemaFor(ledger.schema);
  const boss = new PgBoss({
    ...(ledger.connectionConfig as Record<string, unknown>),
    schema: bossSchema,
    max: 3,
    application_name: 'ferry-queue',
    schedule: false,
    registerInstance: false,
    superviseIntervalSeconds: options.superviseSeconds ?? SUPERVISE_SECONDS,
    monitorIntervalSeconds: options.superviseSeconds ?? SUPERVISE_SECONDS,
  });
  // pg-boss reports a lost connection here and goes on polling; its messages may quote the URL.
  boss.on('error', (error) => options.onError?.(redactSecrets(String(error))));
  const pool = new pg.Pool({ ...ledger.connectionConfig, max: 3, application_name: 'ferry-pages' });
  pool.on('error', () => {});
  try {
    await boss.start();
  } catch (error) {
    await pool.end().catch(() => {});
    throw postgresStateError('starting the work queue', where, error);
  }
  const workerId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const bossTable = `${quoteIdent(bossSchema)}.job`;

  async function transaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  }

  /** Waits out a lost connection, as the ledger does: the queue must survive a database restart. */
  const retrying = <T>(what: string, fn: () => Promise<T>, timeoutMs = 60_000) =>
    withReconnect(what, fn, { where, timeoutMs });

  const ensured = new Set<string>();
  async function ensureQueue(queue: string): Promise<void> {
    if (ensured.has(queue)) return;
    await retrying(`creating the queue ${queue}`, async () => {
      if ((await boss.getQueue(queue)) === null) {
        await boss.createQueue(queue, {
          heartbeatSeconds: LEASE_SECONDS,
          // A page is taken again each time a worker dies on it; the reader gives up on a run, not the queue.
          retryLimit: 10_000,
          retryDelay: 0,
          // Leases are kept alive by heartbeats; this only bounds a page stuck with a live worker.
          expireInSeconds: 24 * 60 * 60,
          deleteAfterSeconds: 60 * 60,
        });
      }
    });
    ensured.add(queue);
  }

  function leaseOf(queue: string, job: { id: string; retryCount: number }): PageLease {
    return { schema: bossSchema, queue, job: job.id, attempt: job.retryCount };
  }

  const attempt = (lease: PageLease) => ({ id: lease.job, retryCount: lease.attempt });

  function forRun(integration: string, runId: string, queue: string): RunPages {
    const outstanding = new Set<number>();
    return {
      queue,

      async retireEarlierPages() {
        const earlier = await retrying(
          'retiring pages of earlier runs',
          async () =>
            (
              await pool.query<{ queue: string; job_id: string | null }>(
                `UPDATE pages SET state = 'cancelled'
               WHERE integration = $1 AND run_id <> $2 AND state IN ('queued', 'cancelled')
               RETURNING queue, job_id`,
                [integration, runId],
              )
            ).rows,
        );
        const jobs = earlier.flatMap(({ job_id: job }) => (job === null ? [] : [job]));
        // How long until the last lease of those pages that a worker holds runs out, by the database's clock.
        const wait = await retrying('reading the leases of earlier pages', async () =>
          Number(
            (
              await pool.query<{ ms: string | null }>(
                `SELECT max(extract(epoch FROM heartbeat_on + make_interval(secs => heartbeat_seconds) - now()))
                   * 1000 AS ms
                 FROM ${bossTable} WHERE id = ANY ($1::uuid[]) AND state = 'active'`,
                [jobs],
              )
            ).rows[0]?.ms ?? -1,
          ),
        );
        for (const { queue: of, job_id: job } of earlier) {
          if (job !== null) await retrying('cancelling a job', () => boss.cancel(of, job));
        }
        // A worker that holds one of them stops sending by its own clock before its lease could have run out
        // (page-lease.ts): once it has, nothing of those pages can still leave.
        if (wait > 0) await sleep(wait);
        await retrying('deleting pages of earlier runs', () =>
          pool.query('DELETE FROM pages WHERE integration = $1 AND run_id <> $2', [integration, runId]),
        );
      },

      async enqueue(page: PageToSend) {
        await ensureQueue(queue);
        const records = JSON.stringify(page.records);
        await retrying(`enqueueing page ${page.pageNo}`, () =>
          transaction(async (client) => {
            const inserted = await client.query<{ id: string }>(
              `INSERT INTO pages (integration, run_id, page_no, queue, records, next_checkpoint, lookup_unknown,
                 compares_repeats, state, created_at)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'queued', $9)
               ON CONFLICT (run_id, page_no) DO NOTHING RETURNING id`,
              [
                integration,
                runId,
                page.pageNo,
                queue,
                records,
                page.next === null ? null : JSON.stringify(page.next),
                page.lookupUnknown,
                page.comparesRepeats,
                new Date().toISOString(),
              ],
            );
            // Already stored: a commit whose answer was lost, sent again.
            const id = inserted.rows[0]?.id;
            if (id === undefined) return;
            const job = await boss.send(queue, { page: Number(id) }, { db: inTransaction(client) });
            await client.query('UPDATE pages SET job_id = $1 WHERE id = $2', [job, id]);
          }),
        );
        outstanding.add(page.pageNo);
      },

      async finished(): Promise<PageResult[]> {
        if (outstanding.size === 0) return [];
        const rows = await retrying(
          'reading settled pages',
          async () =>
            (
              await pool.query<Row>(
                `SELECT page_no, state, outcomes, retry_from, error FROM pages
               WHERE run_id = $1 AND state IN ('settled', 'failed', 'cancelled')
                 AND page_no = ANY ($2::integer[])`,
                [runId, [...outstanding]],
              )
            ).rows,
        );
        return rows.map((row) => {
          const pageNo = Number(row.page_no);
          outstanding.delete(pageNo);
          if (row.state === 'cancelled') return { pageNo, status: 'cancelled' as const };
          if (row.state === 'failed') {
            const error = (row.error ?? {}) as { code?: string; message?: string };
            return {
              pageNo,
              status: 'failed' as const,
              error: {
                code: String(error.code ?? 'FERRY_ERR_INTERNAL'),
                message: String(error.message ?? ''),
              },
            };
          }
          return {
            pageNo,
            status: 'settled' as const,
            outcomes: (row.outcomes ?? []) as RecordOutcome[],
            retryFrom: (row.retry_from ?? null) as CursorValue | null,
          };
        });
      },

      liveWorkers: () => liveWorkers(queue),

      async cancelWaiting() {
        // Only pages nobody holds: a worker that took one before this statement finishes it, and the
        // next run waits for its lease if it does not.
        await retrying('cancelling waiting pages', () =>
          pool.query(
            `UPDATE pages SET state = 'cancelled'
             WHERE run_id = $1 AND state = 'queued'
               AND job_id IN (SELECT id FROM ${bossTable} WHERE name = $2 AND state IN ('created', 'retry'))`,
            [runId, queue],
          ),
        );
      },

      async close() {
        await retrying('deleting the pages of a finished run', () =>
          pool.query(`DELETE FROM pages WHERE run_id = $1 AND state IN ('settled', 'failed')`, [runId]),
        );
      },
    };
  }

  async function liveWorkers(queue: string): Promise<number> {
    const row = (
      await retrying('counting workers', () =>
        pool.query<{ n: string }>(
          `SELECT count(*) AS n FROM cluster_workers
           WHERE $1 = ANY (queues) AND heartbeat_at > now() - make_interval(secs => $2)`,
          [queue, WORKER_ALIVE_SECONDS],
        ),
      )
    ).rows[0];
    return Number(row?.n ?? 0);
  }

  const cluster: PostgresCluster = {
    bossSchema,
    leaseSeconds: LEASE_SECONDS,
    destination: (integration) => createDestinationBudget(pool, integration, workerId),
    liveWorkers,
    queueName: (integration, fingerprint) => `ferry.${integration}.${fingerprint}`,
    ensureQueue,
    forRun,

    async take(queue) {
      await ensureQueue(queue);
      for (;;) {
        const leaseFrom = performance.now();
        const [job] = await boss.fetch<{ page?: unknown }>(queue);
        if (job === undefined) return null;
        const lease = leaseOf(queue, job);
        const row = (
          await retrying('reading a page', () =>
            pool.query<Row>(
              `SELECT id, integration, run_id, page_no, records, lookup_unknown, compares_repeats, state
               FROM pages WHERE id = $1`,
              [Number(job.data.page)],
            ),
          )
        ).rows[0];
        if (row === undefined || row.state !== 'queued') {
          // Its run ended, stopped or was retired: nothing to send.
          await boss.complete(queue, attempt(lease));
          continue;
        }
        return {
          id: Number(row.id),
          integration: String(row.integration),
          runId: String(row.run_id),
          pageNo: Number(row.page_no),
          records: row.records as QueuedRecord[],
          lookupUnknown: row.lookup_unknown === true,
          comparesRepeats: row.compares_repeats === true,
          lease,
          leaseFrom,
        };
      }
    },

    async renew(lease) {
      const result = (await boss.touch(lease.queue, attempt(lease))) as { affected?: number };
      return result.affected === 1;
    },

    async settle(page, outcomes, retryFrom) {
      return finish(page, 'settled', {
        outcomes: JSON.stringify(outcomes),
        retryFrom: retryFrom === null ? null : JSON.stringify(retryFrom),
        error: null,
      });
    },

    async reportFailure(page, error) {
      return finish(page, 'failed', {
        outcomes: null,
        retryFrom: null,
        error: JSON.stringify({ code: error.code, message: redactSecrets(error.message) }),
      });
    },

    async release(page) {
      await boss.fail(page.lease.queue, attempt(page.lease)).catch(() => {});
    },

    async register(queues) {
      await retrying('registering the worker', () =>
        pool.query(
          `INSERT INTO cluster_workers (id, host, pid, queues) VALUES ($1, $2, $3, $4)
           ON CONFLICT (id) DO UPDATE SET queues = excluded.queues, heartbeat_at = now()`,
          [workerId, hostname(), process.pid, [...queues]],
        ),
      );
    },

    async heartbeat() {
      await pool.query('UPDATE cluster_workers SET heartbeat_at = now() WHERE id = $1', [workerId]);
    },

    async unregister() {
      await pool.query('DELETE FROM cluster_workers WHERE id = $1', [workerId]).catch(() => {});
    },

    async close() {
      await boss.stop({ graceful: false, close: true }).catch(() => {});
      await pool.end().catch(() => {});
    },
  };

  /** Stores the page's end under its lease and completes its job, in one transaction. */
  async function finish(
    page: TakenPage,
    state: 'settled' | 'failed',
    values: { outcomes: string | null; retryFrom: string | null; error: string | null },
  ): Promise<boolean> {
    try {
      return await retrying(`settling page ${page.pageNo}`, () =>
        transaction(async (client) => {
          await client.query('SELECT ferry_check_lease($1)', [JSON.stringify(page.lease)]);
          await client.query(
            `UPDATE pages SET state = $2, outcomes = $3, retry_from = $4, error = $5, finished_at = $6
             WHERE id = $1 AND state = 'queued'`,
            [page.id, state, values.outcomes, values.retryFrom, values.error, new Date().toISOString()],
          );
          const done = (await boss.complete(page.lease.queue, attempt(page.lease), null, {
            db: inTransaction(client),
          })) as { affected?: number };
          if (done.affected !== 1) throw Object.assign(new Error('lease lost'), { code: 'FLEAS' });
          return true;
        }),
      );
    } catch (error) {
      const cause = (error as { cause?: { code?: unknown } }).cause;
      if ((error as { code?: unknown }).code === 'FLEAS' || cause?.code === 'FLEAS') return false;
      throw error instanceof FerryError ? error : postgresStateError('settling a page', where, error);
    }
  }

  return cluster;
}
