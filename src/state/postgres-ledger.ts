import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import pg from 'pg';
import type { Checkpoint } from '../core/connector-types.ts';
import { FerryError } from '../core/errors.ts';
import type {
  DeadLetter,
  DeadLetterFilter,
  HighWaterMark,
  Ledger,
  Reason,
  RecordHistory,
  RecordRow,
  RecordState,
  RecordUpdate,
  RunFilter,
  RunRow,
  RunStatus,
} from '../core/ledger-types.ts';
import { redactSecrets, redactValue, registerSecret } from '../core/secret-registry.ts';
import { createOrderedQueue, type OrderedQueue } from './ordered-queue.ts';
import { type PostgresConnection, postgresDisplayUrl } from './postgres-connection.ts';
import { postgresStateError, withReconnect } from './postgres-errors.ts';
import { postgresInbox } from './postgres-inbox.ts';
import { migratePostgres } from './postgres-migrations.ts';
import { createPostgresRunLocks } from './postgres-run-lock.ts';

/** Options for openPostgresLedger. */
export interface PostgresLedgerOptions {
  /** Source of "now" for updated_at, created_at and ended_at. @default () => new Date() */
  clock?: () => Date;
  /** How long queued updates gather before their transaction (see the SQLite ledger's). @default 5 */
  commitDelayMs?: number;
  /** Refuse to create a ledger (read-only commands): throws FERRY_ERR_STATE_NOT_FOUND. @default false */
  mustExist?: boolean;
  /** Connections in the pool, besides the one holding run locks. @default 4 */
  poolSize?: number;
  /**
   * How long an operation waits out a lost connection (a server restart, a network drop) before it fails
   * with FERRY_ERR_STATE_UNREACHABLE. @default 60000
   */
  reconnectTimeoutMs?: number;
  /**
   * How long opening waits for a server that cannot be reached: a command fails at once (0), a worker that a
   * supervisor restarts alongside the database may wait. @default 0
   */
  openTimeoutMs?: number;
  /** How long one connection attempt may take. @default 10000 */
  connectTimeoutMs?: number;
  /** Told each time an operation waits for the server to come back. */
  onReconnecting?: (info: { what: string; attempt: number; error: string }) => void;
}

export type { PostgresConnection } from './postgres-connection.ts';

/** Counters of what the group commit did, for tests and benchmarks. */
export interface PostgresLedgerStats {
  readonly batches: number;
  readonly recordUpdates: number;
  readonly deadLetters: number;
}

/**
 * A worker's claim on a page: its pg-boss job in one attempt. Writes made under it are refused by the server
 * (FERRY_ERR_LEASE_LOST) once pg-boss gave the page to another attempt, or cancelled it.
 */
export interface PageLease {
  /** The schema of pg-boss's tables. */
  readonly schema: string;
  readonly queue: string;
  readonly job: string;
  readonly attempt: number;
}

/** The PostgreSQL ledger: the Ledger contract plus where it is. */
export interface PostgresLedger extends Ledger {
  /** The URL without its password: what messages and reports show. */
  readonly location: string;
  /** True when this open created the ledger's tables. */
  readonly created: boolean;
  /** True while this ledger holds the run lock of the integration. */
  holdsRunLock(integration: string): boolean;
  stats(): PostgresLedgerStats;
  /** The schema ferry's tables are in (the first of the URL's search_path that exists). */
  readonly schema: string;
  /** The pool's connection settings, for a component that needs connections of its own (the page queue). */
  readonly connectionConfig: pg.ClientConfig;
  /**
   * The ledger as a worker writes one page's records: its writes share a group commit of their own, each
   * batch checked against the lease in the transaction that stores it. close() writes what is queued and
   * leaves the ledger open.
   */
  forLease(lease: PageLease): Ledger;
}

type QueuedWrite =
  | { kind: 'records'; integration: string; runId: string; updates: readonly RecordUpdate[] }
  | {
      kind: 'deadLetter';
      integration: string;
      key: string;
      runId: string;
      state: 'quarantined' | 'failed';
      record: string | null;
      body: string | null;
      reasons: string;
    };

const STATES: ReadonlySet<string> = new Set([
  'pending',
  'in_flight',
  'delivered',
  'skipped',
  'quarantined',
  'failed',
]);
/** Keys per query: keeps each bound array small whatever the caller passes. */
const KEY_CHUNK = 1000;

type Row = Record<string, unknown>;

/** The URL with this password, unless it has one: pg lets a URL's fields win over separate options. */
function withPassword(connectionString: string, password: string | undefined): string {
  if (!password) return connectionString;
  try {
    const url = new URL(connectionString);
    if (url.password !== '') return connectionString;
    url.password = encodeURIComponent(password);
    return url.href;
  } catch {
    return connectionString;
  }
}

function str(value: unknown): string {
  return String(value);
}

function strOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}

/** JSON text for a column, secrets masked; undefined becomes SQL NULL. */
function toJson(value: unknown): string | null {
  if (value === undefined) return null;
  return JSON.stringify(redactValue(value)) ?? null;
}

/** PostgreSQL text cannot hold NUL: a message quoting a peer may. */
function textColumn(value: string): string {
  return value.includes('\u0000') ? value.replaceAll('\u0000', '\\0') : value;
}

function toRecordRow(row: Row): RecordRow {
  return {
    key: str(row.key),
    state: str(row.state) as RecordState,
    attempts: Number(row.attempts),
    firstMappedAt: strOrNull(row.first_mapped_at),
    bodyHash: strOrNull(row.body_hash),
    lastError: strOrNull(row.last_error),
    runId: str(row.run_id),
    updatedAt: str(row.updated_at),
    keyGeneration: Number(row.key_generation ?? 0),
    refused: row.refused === null || row.refused === undefined ? null : row.refused === true,
    deliveredHash: strOrNull(row.delivered_hash),
    ...(row.open_dead_letter === undefined ? {} : { openDeadLetter: row.open_dead_letter === true }),
  };
}

function toRunRow(row: Row): RunRow {
  return {
    id: str(row.id),
    integration: str(row.integration),
    status: str(row.status) as RunStatus,
    startedAt: str(row.started_at),
    endedAt: strOrNull(row.ended_at),
    counts: (row.counts ?? {}) as Record<string, number>,
    report: row.report ?? null,
  };
}

function toDeadLetter(row: Row): DeadLetter {
  return {
    id: Number(row.id),
    integration: str(row.integration),
    key: str(row.key),
    runId: str(row.run_id),
    state: str(row.state) as DeadLetter['state'],
    record: row.record ?? null,
    body: row.body ?? null,
    reasons: (row.reasons ?? []) as Reason[],
    createdAt: str(row.created_at),
    resolvedAt: strOrNull(row.resolved_at),
  };
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * Opens (creating its tables if needed, under an advisory lock) the ledger in the PostgreSQL database and
 * schema (its search_path) that `connection` names. The pool is bounded; operations are applied in the order
 * they were called, queued final states and dead letters written in batches of one round trip each. A lost
 * connection is waited out for `reconnectTimeoutMs`; a batch whose commit went unanswered is sent again and
 * applied once. The run lock is per integration and cluster-wide (see postgres-run-lock.ts).
 */
export async function openPostgresLedger(
  connection: PostgresConnection,
  options: PostgresLedgerOptions = {},
): Promise<PostgresLedger> {
  const clock = options.clock ?? (() => new Date());
  const now = (): string => clock().toISOString();
  const where = postgresDisplayUrl(connection.connectionString);
  const reconnectTimeoutMs = options.reconnectTimeoutMs ?? 60_000;
  try {
    const inUrl = decodeURIComponent(new URL(connection.connectionString).password);
    if (inUrl) registerSecret(inUrl);
  } catch {
    // pg reports an unparsable URL itself, when connecting.
  }
  if (connection.password) registerSecret(connection.password);

  const config: pg.PoolConfig = {
    connectionString: withPassword(connection.connectionString, connection.password),
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    // A connection the network dropped without a word (a cut link) is noticed in seconds, not hours: for the
    // lock's session that is how soon this process learns it may no longer hold the run lock.
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
    application_name: 'ferry',
  };
  const pool = new pg.Pool({ ...config, max: options.poolSize ?? 4 });
  // An idle connection the server ends (a restart) is dropped from the pool; the next query opens another.
  pool.on('error', () => {});

  /** Runs `fn`, waiting out lost connections for up to `timeoutMs`. */
  const reconnecting = <T>(what: string, fn: () => Promise<T>, timeoutMs = reconnectTimeoutMs) =>
    withReconnect(what, fn, {
      where,
      timeoutMs,
      ...(options.onReconnecting ? { onReconnecting: options.onReconnecting } : {}),
    });

  let found: number;
  let schema: string;
  try {
    ({ found, schema } = await reconnecting(
      'opening',
      async () => {
        const client = await pool.connect();
        try {
          return await migratePostgres(client, where, { mustExist: options.mustExist === true });
        } finally {
          client.release();
        }
      },
      options.openTimeoutMs ?? 0,
    ));
    // Batch ids are kept only to answer a resend after a lost commit, which comes within reconnectTimeoutMs.
    // Read-only commands leave them alone (their role may not delete).
    if (options.mustExist !== true) {
      await pool.query(`DELETE FROM write_batches WHERE created_at < now() - interval '1 hour'`);
    }
  } catch (error) {
    await pool.end().catch(() => {});
    throw postgresStateError('opening', where, error);
  }

  const locks = createPostgresRunLocks(config, where);
  /** Runs started through this object and not finished: the only 'running' runs known to be alive. */
  const ownRuns = new Map<string, string>();
  let closed = false;
  let closing: Promise<void> | undefined;
  /** A batch that failed: no checkpoint may be stored past the records it held. */
  let batchFailure: unknown;
  let batches = 0;
  let recordUpdates = 0;
  let deadLetters = 0;

  async function writeBatch(items: readonly QueuedWrite[], lease?: PageLease): Promise<void> {
    const records: Record<string, unknown>[] = [];
    const letters: Record<string, unknown>[] = [];
    const runIds = new Set<string>();
    for (const item of items) {
      runIds.add(item.runId);
      if (item.kind === 'records') {
        for (const u of item.updates) {
          records.push({
            i: item.integration,
            r: item.runId,
            k: u.key,
            s: u.state,
            a: u.attempts ?? null,
            f: u.firstMappedAt ?? null,
            h: u.bodyHash ?? null,
            e: typeof u.lastError === 'string' ? textColumn(redactSecrets(u.lastError)) : null,
            es: u.lastError !== undefined,
            g: u.keyGeneration ?? null,
            rf: u.refused ?? null,
            rfs: u.refused !== undefined,
            dh: u.deliveredHash ?? null,
            dhs: u.deliveredHash !== undefined,
          });
        }
      } else {
        letters.push({
          i: item.integration,
          k: item.key,
          r: item.runId,
          s: item.state,
          rec: item.record === null ? null : JSON.parse(item.record),
          body: item.body === null ? null : JSON.parse(item.body),
          reasons: JSON.parse(item.reasons),
        });
      }
    }
    const batchId = randomUUID();
    const at = now();
    const integrations = new Set(items.map((item) => item.integration));
    try {
      await reconnecting(`writing ${items.length} queued updates`, () =>
        // A worker's writes are fenced by its lease on the page, not by the run lock its reader holds.
        (lease === undefined ? fenced : unfenced)(async () => {
          const { pid, locked } = lease === undefined ? locks.fence(integrations) : { pid: null, locked: [] };
          await pool.query({
            name: 'ferry_write_batch',
            text: 'SELECT ferry_write_batch($1, $2, $3, $4, $5, $6, $7, $8)',
            values: [
              batchId,
              at,
              JSON.stringify(records),
              JSON.stringify(letters),
              [...runIds],
              pid,
              locked,
              lease === undefined ? null : JSON.stringify(lease),
            ],
          });
        }),
      );
    } catch (error) {
      if (lease !== undefined) throw leaseError(lease, error);
      batchFailure ??= error;
      throw postgresStateError(`writing ${items.length} queued updates`, where, error);
    }
    batches++;
    recordUpdates += records.length;
    deadLetters += letters.length;
  }

  /** The error of a write under a lease: the lease is gone (FLEAS), or the ledger failed as any write can. */
  function leaseError(lease: PageLease, error: unknown): FerryError {
    const cause = (error as { cause?: { code?: unknown } }).cause;
    if ((error as { code?: unknown }).code !== 'FLEAS' && cause?.code !== 'FLEAS') {
      return postgresStateError(`writing the records of job ${lease.job}`, where, error);
    }
    return new FerryError(
      'FERRY_ERR_LEASE_LOST',
      `the lease on job ${lease.job} (attempt ${lease.attempt}) of queue ${lease.queue} is no longer held: ` +
        'another worker has the page, and this one writes and sends nothing more of it',
      { cause: error, details: { queue: lease.queue, job: lease.job, attempt: lease.attempt } },
    );
  }

  function unfenced<T>(write: () => Promise<T>): Promise<T> {
    return write();
  }

  /**
   * Runs a write that checks, in its own transaction, that the run locks are still this process's. After a
   * lost lock session nothing is written before the lock is ours again (verify), and a write the server
   * refused for want of the lock (FRLCK) is tried once more after taking it back, or refused for good.
   */
  async function fenced<T>(write: () => Promise<T>): Promise<T> {
    await locks.verify();
    try {
      return await write();
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'FRLCK') throw error;
      locks.markLost();
      await locks.verify();
      return write();
    }
  }

  const queue = createOrderedQueue(writeBatch, { delayMs: options.commitDelayMs ?? 5 });

  function closedError(): FerryError {
    return new FerryError('FERRY_ERR_STATE', `the ledger ${where} is closed`, {
      details: { location: where },
    });
  }

  /** Runs one operation in call order, after what is queued, waiting out lost connections. */
  function op<T>(what: string, fn: () => Promise<T>): Promise<T> {
    if (closed) return Promise.reject(closedError());
    return queue.run(() => reconnecting(what, fn));
  }

  function query<R extends pg.QueryResultRow = Row>(text: string, values: unknown[] = []) {
    return pool.query<R>(text, values);
  }

  function checkStates(updates: readonly RecordUpdate[]): FerryError | undefined {
    const bad = updates.find((u) => !STATES.has(u.state));
    return bad
      ? new FerryError(
          'FERRY_ERR_STATE',
          `no record state "${bad.state}" (key ${bad.key}) in the ledger ${where}`,
          {
            details: { location: where },
          },
        )
      : undefined;
  }

  async function lockedError(integration: string): Promise<FerryError> {
    const holder = (
      await query(
        `SELECT id, host, pid, started_at FROM runs WHERE integration = $1 AND status = 'running'
         ORDER BY seq DESC LIMIT 1`,
        [integration],
      )
    ).rows[0];
    const who = holder
      ? `run ${str(holder.id)}, pid ${str(holder.pid)} on ${str(holder.host)}, since ${str(holder.started_at)}`
      : 'another process';
    return new FerryError(
      'FERRY_ERR_STATE_LOCKED',
      `integration ${integration} is being run by another ferry process (${who}; ledger ${where}); wait for ` +
        'it to end or stop it',
      { details: { integration, location: where, ...(holder ? { pid: Number(holder.pid) } : {}) } },
    );
  }

  /** The conditions of a dead-letter filter, their values pushed onto `values`. */
  function deadLetterConditions(options: DeadLetterFilter, values: unknown[]): string[] {
    const conditions: string[] = [];
    if (options.integration !== undefined) {
      values.push(options.integration);
      conditions.push(`integration = $${values.length}`);
    }
    if (options.state !== undefined) {
      values.push(options.state);
      conditions.push(`state = $${values.length}`);
    }
    if (!options.includeResolved) conditions.push('resolved_at IS NULL');
    if (options.runId !== undefined) {
      values.push(options.runId);
      conditions.push(`run_id = $${values.length}`);
    }
    if (options.reason !== undefined) {
      values.push(options.reason);
      conditions.push(
        `EXISTS (SELECT 1 FROM json_array_elements(reasons) r WHERE r->>'code' = $${values.length})`,
      );
    }
    if (options.field !== undefined) {
      values.push(options.field);
      conditions.push(
        `EXISTS (SELECT 1 FROM json_array_elements(reasons) r WHERE r->>'field' = $${values.length})`,
      );
    }
    return conditions;
  }

  function whereClause(conditions: readonly string[]): string {
    return conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : '';
  }

  type RecordMethods = Pick<Ledger, 'getRecords' | 'update' | 'updateNow' | 'flush' | 'addDeadLetter'>;

  /**
   * The record reads and writes through one ordered queue: the ledger's own, or a lease's (forLease), whose
   * batches are checked against the lease.
   */
  function recordMethods(queue: OrderedQueue<QueuedWrite>): RecordMethods {
    const op = <T>(what: string, fn: () => Promise<T>): Promise<T> =>
      closed ? Promise.reject(closedError()) : queue.run(() => reconnecting(what, fn));
    const enqueue = (item: QueuedWrite): Promise<void> =>
      closed ? Promise.reject(closedError()) : queue.enqueue(item);
    return {
      getRecords(integration: string, keys: readonly string[]): Promise<Map<string, RecordRow>> {
        return op('reading records', async () => {
          const out = new Map<string, RecordRow>();
          for (const chunk of chunks(keys, KEY_CHUNK)) {
            const rows = await pool.query({
              name: 'ferry_get_records',
              text: `SELECT r.*, EXISTS (
                       SELECT 1 FROM dead_letters d
                       WHERE d.integration = r.integration AND d.key = r.key AND d.resolved_at IS NULL
                     ) AS open_dead_letter
                     FROM records r WHERE r.integration = $1 AND r.key = ANY ($2::text[])`,
              values: [integration, chunk],
            });
            for (const row of rows.rows as Row[]) {
              const record = toRecordRow(row);
              out.set(record.key, record);
            }
          }
          return out;
        });
      },

      update(integration: string, runId: string, updates: readonly RecordUpdate[]): Promise<void> {
        if (updates.length === 0 && !closed) return Promise.resolve();
        const bad = checkStates(updates);
        if (bad) return Promise.reject(bad);
        return enqueue({ kind: 'records', integration, runId, updates: [...updates] });
      },

      async updateNow(integration: string, runId: string, updates: readonly RecordUpdate[]): Promise<void> {
        if (closed) throw closedError();
        if (updates.length === 0) return;
        const bad = checkStates(updates);
        if (bad) throw bad;
        // Written on the next loop turn with everything queued by then: the marks of every sender that
        // reached this point in this turn, and the final states waiting for the timer, in one transaction.
        const written = enqueue({ kind: 'records', integration, runId, updates: [...updates] });
        queue.flushSoon();
        await written;
      },

      async flush(): Promise<void> {
        if (closed) throw closedError();
        await queue.flush();
      },

      addDeadLetter(letter: Omit<DeadLetter, 'id' | 'createdAt' | 'resolvedAt'>): Promise<void> {
        let item: QueuedWrite;
        try {
          // Serialised now, so a value JSON cannot hold fails this call alone, not the whole batch.
          item = {
            kind: 'deadLetter',
            integration: letter.integration,
            key: letter.key,
            runId: letter.runId,
            state: letter.state,
            record: toJson(letter.record),
            body: toJson(letter.body),
            reasons: toJson(letter.reasons) ?? '[]',
          };
        } catch (error) {
          return Promise.reject(
            postgresStateError(`serialising the dead letter for key ${letter.key}`, where, error),
          );
        }
        return enqueue(item);
      },
    };
  }

  const ledger: PostgresLedger = {
    location: where,
    created: found === 0,

    holdsRunLock: (integration) => locks.holds(integration),
    stats: () => ({ batches, recordUpdates, deadLetters }),
    schema,
    connectionConfig: config,

    forLease(lease: PageLease): Ledger {
      const leaseQueue = createOrderedQueue<QueuedWrite>((items) => writeBatch(items, lease), {
        delayMs: options.commitDelayMs ?? 5,
      });
      return {
        ...ledger,
        ...recordMethods(leaseQueue),
        close: () => leaseQueue.flush(),
      };
    },

    startRun(integration: string, startedAt: string): Promise<RunRow> {
      const id = randomUUID();
      return op('starting a run', async () => {
        await locks.verify();
        if (!(await locks.tryAcquire(integration))) throw await lockedError(integration);
        await query(
          `INSERT INTO runs (id, integration, status, started_at, host, pid, counts)
           VALUES ($1, $2, 'running', $3, $4, $5, '{}') ON CONFLICT (id) DO NOTHING`,
          [id, integration, startedAt, hostname(), process.pid],
        );
        ownRuns.set(id, integration);
        return { id, integration, status: 'running', startedAt, endedAt: null, counts: {}, report: null };
      });
    },

    markCrashedRuns(integration: string): Promise<string[]> {
      return op('marking crashed runs', async () => {
        // A lock lost with its session may be another process's now: its run is alive, not crashed.
        await locks.verify();
        const had = locks.holds(integration);
        // While another session holds the lock, its run is alive, whatever its row says.
        if (!had && !(await locks.tryAcquire(integration))) return [];
        try {
          const own = [...ownRuns].filter(([, of]) => of === integration).map(([id]) => id);
          const result = await query<{ id: string }>(
            `WITH crashed AS (
               UPDATE runs SET status = 'crashed', ended_at = coalesce(last_active_at, started_at)
               WHERE integration = $1 AND status = 'running' AND NOT (id = ANY ($2::text[]))
               RETURNING id, seq)
             SELECT id FROM crashed ORDER BY seq`,
            [integration, own],
          );
          return result.rows.map((row) => row.id);
        } finally {
          if (!had) await locks.release(integration);
        }
      });
    },

    async finishRun(
      runId: string,
      status: RunStatus,
      counts: Record<string, number>,
      report: unknown,
    ): Promise<void> {
      await op('finishing a run', async () => {
        const result = await query(
          'UPDATE runs SET status = $1, ended_at = $2, counts = $3, report = $4 WHERE id = $5',
          [status, now(), JSON.stringify(counts), toJson(report), runId],
        );
        if (result.rowCount === 0) {
          throw new FerryError('FERRY_ERR_STATE', `finishing run ${runId}: no such run in ${where}`, {
            details: { location: where, runId },
          });
        }
        const integration = ownRuns.get(runId);
        ownRuns.delete(runId);
        // A long-lived process (ferry serve, a worker) runs many integrations: each lock goes with its run.
        if (integration !== undefined && ![...ownRuns.values()].includes(integration)) {
          await locks.release(integration);
        }
      });
    },

    getRun(runId: string): Promise<RunRow | undefined> {
      return op('reading a run', async () => {
        const row = (await query('SELECT * FROM runs WHERE id = $1', [runId])).rows[0];
        return row === undefined ? undefined : toRunRow(row);
      });
    },

    findRunsByIdPrefix(prefix: string, limit = 10): Promise<RunRow[]> {
      return op('finding runs', async () => {
        // Run ids are UUIDs; anything else cannot prefix one, and LIKE must not see wildcards.
        if (!/^[0-9a-f-]+$/i.test(prefix)) return [];
        const rows = await query(
          'SELECT * FROM runs WHERE id LIKE $1 ORDER BY started_at DESC, seq DESC LIMIT $2',
          [`${prefix.toLowerCase()}%`, Math.max(0, Math.trunc(limit))],
        );
        return rows.rows.map(toRunRow);
      });
    },

    listRuns(options: RunFilter = {}): Promise<RunRow[]> {
      return op('listing runs', async () => {
        const values: unknown[] = [];
        const conditions: string[] = [];
        if (options.integration !== undefined) {
          values.push(options.integration);
          conditions.push(`integration = $${values.length}`);
        }
        if (options.status !== undefined) {
          values.push(options.status);
          conditions.push(`status = $${values.length}`);
        }
        if (options.beforeId !== undefined) {
          // An unknown id makes the row value NULL, which compares as nothing: an empty page, as documented.
          values.push(options.beforeId);
          conditions.push(
            `(started_at, seq) < (SELECT started_at, seq FROM runs WHERE id = $${values.length})`,
          );
        }
        let sql = `SELECT * FROM runs${whereClause(conditions)}`;
        sql += ' ORDER BY started_at DESC, seq DESC';
        if (options.limit !== undefined) {
          values.push(Math.max(0, Math.trunc(options.limit)));
          sql += ` LIMIT $${values.length}`;
        }
        return (await query(sql, values)).rows.map(toRunRow);
      });
    },

    getCheckpoint(integration: string): Promise<Checkpoint | null> {
      return op('reading the checkpoint', async () => {
        const row = (await query('SELECT checkpoint FROM checkpoints WHERE integration = $1', [integration]))
          .rows[0];
        return (row?.checkpoint as Checkpoint | null | undefined) ?? null;
      });
    },

    async saveCheckpoint(
      integration: string,
      checkpoint: Checkpoint | null,
      runId: string,
      highWater?: HighWaterMark,
    ): Promise<void> {
      await op('saving the checkpoint', async () => {
        if (batchFailure !== undefined)
          throw postgresStateError('saving the checkpoint', where, batchFailure);
        // The row stays when cleared: it records which run read the source to its end, and when.
        await fenced(() => {
          const { pid, locked } = locks.fence([integration]);
          return query(
            `WITH fence AS (SELECT ferry_check_run_locks($5, $6::text[]))
             INSERT INTO checkpoints (integration, checkpoint, run_id, updated_at, high_water)
             SELECT $1, $2, $3, $4, $7 FROM fence
             ON CONFLICT (integration) DO UPDATE SET
               checkpoint = excluded.checkpoint, run_id = excluded.run_id, updated_at = excluded.updated_at,
               high_water = CASE WHEN $8 THEN excluded.high_water ELSE checkpoints.high_water END`,
            [
              integration,
              checkpoint === null ? null : toJson(checkpoint),
              runId,
              now(),
              pid,
              locked,
              highWater === undefined ? null : toJson(highWater),
              highWater !== undefined,
            ],
          );
        });
      });
    },

    getHighWaterMark(integration: string): Promise<HighWaterMark | null> {
      return op('reading the high-water mark', async () => {
        const row = (await query('SELECT high_water FROM checkpoints WHERE integration = $1', [integration]))
          .rows[0];
        return (row?.high_water as HighWaterMark | null | undefined) ?? null;
      });
    },

    hasReadToEnd(integration: string): Promise<boolean> {
      return op('reading the checkpoint', async () => {
        const rows = await query('SELECT 1 FROM checkpoints WHERE integration = $1 AND checkpoint IS NULL', [
          integration,
        ]);
        return rows.rows.length > 0;
      });
    },

    listInFlight(integration: string): Promise<RecordRow[]> {
      return op('listing in-flight records', async () => {
        const rows = await query(
          `SELECT * FROM records WHERE integration = $1 AND state = 'in_flight' ORDER BY key COLLATE "C"`,
          [integration],
        );
        return rows.rows.map(toRecordRow);
      });
    },

    recordHistory(key: string, options: { integration?: string } = {}): Promise<RecordHistory[]> {
      return op('reading a record history', async () => {
        // Every integration with a record has a run: the (integration, key) index then serves each lookup.
        const records =
          options.integration === undefined
            ? await query(
                `SELECT * FROM records WHERE key = $1
                   AND integration = ANY (ARRAY (SELECT DISTINCT integration FROM runs))
                 ORDER BY integration COLLATE "C"`,
                [key],
              )
            : await query('SELECT * FROM records WHERE key = $1 AND integration = $2', [
                key,
                options.integration,
              ]);
        const out: RecordHistory[] = [];
        for (const row of records.rows) {
          const integration = str(row.integration);
          const changes = await query('SELECT * FROM record_history WHERE record_id = $1 ORDER BY id', [
            row.id,
          ]);
          const letters = await query(
            'SELECT * FROM dead_letters WHERE integration = $1 AND key = $2 ORDER BY id',
            [integration, key],
          );
          out.push({
            integration,
            record: toRecordRow(row),
            changes: changes.rows.map((change) => ({
              runId: str(change.run_id),
              state: str(change.state) as RecordState,
              attempts: Number(change.attempts),
              bodyHash: strOrNull(change.body_hash),
              reason: strOrNull(change.reason),
              at: str(change.at),
            })),
            deadLetters: letters.rows.map(toDeadLetter),
          });
        }
        return out;
      });
    },

    listDeadLetters(
      options: DeadLetterFilter & { limit?: number; beforeId?: number } = {},
    ): Promise<DeadLetter[]> {
      return op('listing dead letters', async () => {
        const values: unknown[] = [];
        const conditions = deadLetterConditions(options, values);
        if (options.beforeId !== undefined) {
          values.push(Math.trunc(options.beforeId));
          conditions.push(`id < $${values.length}`);
        }
        let sql = `SELECT * FROM dead_letters${whereClause(conditions)}`;
        sql += ' ORDER BY id DESC';
        if (options.limit !== undefined) {
          values.push(Math.max(0, Math.trunc(options.limit)));
          sql += ` LIMIT $${values.length}`;
        }
        return (await query(sql, values)).rows.map(toDeadLetter);
      });
    },

    countDeadLetters(options: DeadLetterFilter = {}): Promise<number> {
      return op('counting dead letters', async () => {
        const values: unknown[] = [];
        const rows = await query<{ n: string }>(
          `SELECT count(*) AS n FROM dead_letters${whereClause(deadLetterConditions(options, values))}`,
          values,
        );
        return Number(rows.rows[0]?.n ?? 0);
      });
    },

    getDeadLetter(id: number): Promise<DeadLetter | undefined> {
      return op('reading a dead letter', async () => {
        if (!Number.isSafeInteger(id)) return undefined;
        const row = (await query('SELECT * FROM dead_letters WHERE id = $1', [id])).rows[0];
        return row === undefined ? undefined : toDeadLetter(row);
      });
    },

    async resolveDeadLetter(id: number, resolvedAt: string): Promise<void> {
      await op('resolving a dead letter', async () => {
        const result = Number.isSafeInteger(id)
          ? await query('UPDATE dead_letters SET resolved_at = $1 WHERE id = $2', [resolvedAt, id])
          : { rowCount: 0 };
        if (result.rowCount === 0) {
          throw new FerryError('FERRY_ERR_USAGE', `there is no dead letter with id ${id}`, {
            details: { id },
          });
        }
      });
    },

    async purgeDeadLetters(options: { integration?: string; ids?: readonly number[] }): Promise<number> {
      if (options.integration === undefined && options.ids === undefined) {
        throw new FerryError('FERRY_ERR_USAGE', 'purging dead letters needs an integration or a list of ids');
      }
      return op('purging dead letters', async () => {
        if (options.ids === undefined) {
          return (
            (await query('DELETE FROM dead_letters WHERE integration = $1', [options.integration]))
              .rowCount ?? 0
          );
        }
        const ids = options.ids.filter((id) => Number.isSafeInteger(id));
        if (ids.length === 0) return 0;
        const result =
          options.integration === undefined
            ? await query('DELETE FROM dead_letters WHERE id = ANY ($1::bigint[])', [ids])
            : await query('DELETE FROM dead_letters WHERE integration = $1 AND id = ANY ($2::bigint[])', [
                options.integration,
                ids,
              ]);
        return result.rowCount ?? 0;
      });
    },

    close(): Promise<void> {
      closing ??= (async () => {
        const flushed = queue.flush();
        closed = true;
        let failure: unknown;
        try {
          await flushed;
        } catch (error) {
          failure = error;
        }
        await locks.close();
        await pool.end().catch(() => {});
        if (failure !== undefined) throw failure;
      })();
      return closing;
    },

    ...recordMethods(queue),
    ...postgresInbox({ op, query }),
  };
  return ledger;
}
