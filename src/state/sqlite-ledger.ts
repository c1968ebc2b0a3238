import { randomUUID } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { DatabaseSync, type SQLInputValue, type StatementSync } from 'node:sqlite';
import type { Checkpoint } from '../core/connector-types.ts';
import { FerryError } from '../core/errors.ts';
import type {
  DeadLetter,
  DeadLetterFilter,
  HighWaterMark,
  InboxEntry,
  InboxEvent,
  InboxOutcome,
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
import { redactSecrets, redactValue } from '../core/secret-registry.ts';
import { createGroupCommit } from './group-commit.ts';
import { migrate } from './migrations.ts';
import { prepareStateDir, stateDirRefusal } from './prepare-state-dir.ts';
import { createRunLock } from './run-lock.ts';

/** Options for openSqliteLedger. */
export interface SqliteLedgerOptions {
  /** Source of "now" for updated_at, created_at and ended_at. @default () => new Date() */
  clock?: () => Date;
  /** How long a write waits for another connection's write lock, in ms. @default 5000 */
  busyTimeoutMs?: number;
  /**
   * How long queued updates (final states, dead letters) gather before their transaction. Nothing that must
   * be durable before a send waits on it (updateNow is for that), and a crash inside the window leaves
   * records in_flight for the next run to reconcile. @default 5
   */
  commitDelayMs?: number;
  /**
   * Refuse to create a ledger: for commands that only read one, where a new empty ledger would hide that
   * they looked in the wrong place. Throws FERRY_ERR_STATE_NOT_FOUND. @default false
   */
  mustExist?: boolean;
}

/** Counters of what the group commit did, for tests, benchmarks and metrics. */
export interface LedgerStats {
  /** Write transactions committed by the group commit. */
  readonly batches: number;
  /** Record updates written. */
  readonly recordUpdates: number;
  /** Dead letters written. */
  readonly deadLetters: number;
}

/** The SQLite ledger: the Ledger contract plus its file, the run lock and counters. */
export interface SqliteLedger extends Ledger {
  /** The database file (`<stateDir>/ferry.db`). */
  readonly path: string;
  /** The state directory: what messages and reports show. */
  readonly location: string;
  /** True when this open created the database: no ledger was there before. */
  readonly created: boolean;
  /** Takes the state directory's run lock; startRun takes it too. Throws FERRY_ERR_STATE_LOCKED. */
  acquireRunLock(): void;
  /** Gives the run lock back (close does too). */
  releaseRunLock(): void;
  /** True while this ledger holds the run lock. */
  readonly holdsRunLock: boolean;
  stats(): LedgerStats;
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

/** The ledger's file name inside the state directory. */
export const LEDGER_FILE = 'ferry.db';
const LOCK_FILE = 'ferry.lock';
/** Keys per IN-list query; keeps each bound JSON array small whatever the caller passes. */
const KEY_CHUNK = 500;

type Row = Record<string, unknown>;

function str(value: unknown): string {
  return String(value);
}

function strOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}

function parseJson(value: unknown): unknown {
  return typeof value === 'string' ? JSON.parse(value) : null;
}

/** JSON text for a column, secrets masked; undefined becomes SQL NULL. */
function toJson(value: unknown): string | null {
  if (value === undefined) return null;
  return JSON.stringify(redactValue(value)) ?? null;
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
    refused: row.refused === null || row.refused === undefined ? null : Number(row.refused) === 1,
    ...(row.open_dead_letter === undefined ? {} : { openDeadLetter: Number(row.open_dead_letter) === 1 }),
    deliveredHash: strOrNull(row.delivered_hash),
  };
}

function toRunRow(row: Row): RunRow {
  return {
    id: str(row.id),
    integration: str(row.integration),
    status: str(row.status) as RunStatus,
    startedAt: str(row.started_at),
    endedAt: strOrNull(row.ended_at),
    counts: (parseJson(row.counts) ?? {}) as Record<string, number>,
    report: parseJson(row.report),
  };
}

function toDeadLetter(row: Row): DeadLetter {
  return {
    id: Number(row.id),
    integration: str(row.integration),
    key: str(row.key),
    runId: str(row.run_id),
    state: str(row.state) as DeadLetter['state'],
    record: parseJson(row.record),
    body: parseJson(row.body),
    reasons: (parseJson(row.reasons) ?? []) as Reason[],
    createdAt: str(row.created_at),
    resolvedAt: strOrNull(row.resolved_at),
  };
}

function toInboxEntry(row: Row): InboxEntry {
  return {
    seq: Number(row.seq),
    integration: str(row.integration),
    eventId: str(row.event_id),
    key: strOrNull(row.key),
    version: row.version === null || row.version === undefined ? null : Number(row.version),
    payload: parseJson(row.payload),
    receivedAt: str(row.received_at),
  };
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function stateError(what: string, path: string, error: unknown): FerryError {
  if (error instanceof FerryError) return error;
  const reason = redactSecrets(error instanceof Error ? error.message : String(error));
  return new FerryError('FERRY_ERR_STATE', `${what} in the ledger ${path} failed: ${reason}`, {
    cause: error,
    details: { path },
  });
}

/**
 * Opens (creating if needed) the ledger in `<stateDir>/ferry.db`: WAL with synchronous=NORMAL, which keeps
 * every committed transaction across a killed process (not across power loss), schema migrated. Opening
 * does not take the run lock: read-only commands (listing dead letters, runs) need none.
 */
export async function openSqliteLedger(
  stateDir: string,
  options: SqliteLedgerOptions = {},
): Promise<SqliteLedger> {
  const clock = options.clock ?? (() => new Date());
  const path = join(stateDir, LEDGER_FILE);
  const now = (): string => clock().toISOString();

  const { created } = await prepareStateDir(stateDir, LEDGER_FILE, {
    mustExist: options.mustExist === true,
  });
  let db: DatabaseSync;
  try {
    // Create the file owner-only first: SQLite gives the -wal and -shm files the same mode. Records hold PII.
    closeSync(openSync(path, 'a', 0o600));
    // Foreign keys are declared but not enforced (SQLite's default): every run_id ferry writes comes from
    // startRun, and no run is ever deleted, while checking records.run_id against runs showed in the
    // profile of every upsert (docs/performance.md).
    db = new DatabaseSync(path, {
      enableForeignKeyConstraints: false,
      timeout: options.busyTimeoutMs ?? 5000,
    });
  } catch (error) {
    throw stateDirRefusal(stateDir, error) ?? stateError('opening', path, error);
  }
  try {
    db.exec(`PRAGMA busy_timeout = ${Math.trunc(options.busyTimeoutMs ?? 5000)}`);
    db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA synchronous = NORMAL');
    // Checkpoint every 10,000 WAL pages (40 MB) instead of 1,000: a run rewrites the same few pages in every
    // transaction, and each checkpoint copied them again. close() truncates the WAL.
    db.exec('PRAGMA wal_autocheckpoint = 10000');
    migrate(db, path);
  } catch (error) {
    db.close();
    throw stateError('opening', path, error);
  }

  const lock = createRunLock(join(stateDir, LOCK_FILE));
  /** Runs started through this object: the only 'running' runs that are really running while we hold the lock. */
  const ownRuns = new Set<string>();
  let closed = false;
  let batches = 0;
  let recordUpdates = 0;
  let deadLetters = 0;

  // Prepared once: the group commit runs these thousands of times a second.
  const upsertRecord = db.prepare(`
    INSERT INTO records (integration, key, state, attempts, first_mapped_at, body_hash, last_error, run_id, updated_at,
      key_generation, refused, delivered_hash)
    VALUES (?1, ?2, ?3, coalesce(?4, 0), ?5, ?6, ?7, ?8, ?9, coalesce(?11, 0), ?12, ?14)
    ON CONFLICT (integration, key) DO UPDATE SET
      state = excluded.state,
      attempts = coalesce(?4, records.attempts),
      -- first write wins: orderDate must not move once a record was mapped
      first_mapped_at = coalesce(records.first_mapped_at, excluded.first_mapped_at),
      body_hash = coalesce(?6, records.body_hash),
      last_error = CASE WHEN ?10 THEN ?7 ELSE records.last_error END,
      run_id = excluded.run_id,
      updated_at = excluded.updated_at,
      key_generation = coalesce(?11, records.key_generation),
      refused = CASE WHEN ?13 THEN ?12 ELSE records.refused END,
      delivered_hash = CASE WHEN ?15 THEN ?14 ELSE records.delivered_hash END`);
  const insertDeadLetter = db.prepare(`
    INSERT INTO dead_letters (integration, key, run_id, state, record, body, reasons, created_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
  const touchRun = db.prepare('UPDATE runs SET last_active_at = ? WHERE id = ?');
  const insertRun = db.prepare(
    `INSERT INTO runs (id, integration, status, started_at, pid, counts) VALUES (?, ?, 'running', ?, ?, '{}')`,
  );
  const updateRunEnd = db.prepare(
    'UPDATE runs SET status = ?, ended_at = ?, counts = ?, report = ? WHERE id = ?',
  );
  const selectRun = db.prepare('SELECT * FROM runs WHERE id = ?');
  const selectRunning = db.prepare(
    `SELECT id, pid, started_at, last_active_at FROM runs WHERE integration = ? AND status = 'running'`,
  );
  const markCrashed = db.prepare(
    `UPDATE runs SET status = 'crashed', ended_at = ? WHERE id = ? AND status = 'running'`,
  );
  const selectCheckpoint = db.prepare('SELECT checkpoint FROM checkpoints WHERE integration = ?');
  const selectReadToEnd = db.prepare(
    'SELECT 1 AS done FROM checkpoints WHERE integration = ? AND checkpoint IS NULL',
  );
  const upsertCheckpoint = db.prepare(`
    INSERT INTO checkpoints (integration, checkpoint, run_id, updated_at, high_water) VALUES (?1, ?2, ?3, ?4, ?5)
    ON CONFLICT (integration) DO UPDATE SET
      checkpoint = excluded.checkpoint, run_id = excluded.run_id, updated_at = excluded.updated_at,
      high_water = CASE WHEN ?6 THEN ?5 ELSE checkpoints.high_water END`);
  const selectHighWater = db.prepare('SELECT high_water FROM checkpoints WHERE integration = ?');
  const selectRecords = db.prepare(`
    SELECT r.*, EXISTS (
      SELECT 1 FROM dead_letters d INDEXED BY dead_letters_open_by_key
      WHERE d.integration = r.integration AND d.key = r.key AND d.resolved_at IS NULL
    ) AS open_dead_letter
    FROM records r WHERE r.integration = ? AND r.key IN (SELECT value FROM json_each(?))`);
  const selectInFlight = db.prepare(
    // Named: without statistics the planner would rather scan the integration's records by primary key.
    `SELECT * FROM records INDEXED BY records_in_flight WHERE integration = ? AND state = 'in_flight' ORDER BY key`,
  );
  const selectDeadLetter = db.prepare('SELECT * FROM dead_letters WHERE id = ?');
  const selectRecord = db.prepare('SELECT * FROM records WHERE integration = ? AND key = ?');
  const selectIntegrations = db.prepare('SELECT DISTINCT integration FROM runs ORDER BY integration');
  const selectChanges = db.prepare('SELECT * FROM record_history WHERE record_id = ? ORDER BY id');
  const selectLettersOfKey = db.prepare(
    'SELECT * FROM dead_letters WHERE integration = ? AND key = ? ORDER BY id',
  );
  const resolveLetter = db.prepare('UPDATE dead_letters SET resolved_at = ? WHERE id = ?');
  const selectInboxEvent = db.prepare('SELECT seq FROM inbox WHERE integration = ? AND event_id = ?');
  const selectNewestVersion = db.prepare(
    'SELECT max(version) AS newest FROM inbox INDEXED BY inbox_by_key WHERE integration = ? AND key = ?',
  );
  const countPending = db.prepare(
    `SELECT count(*) AS n, min(received_at) AS oldest FROM inbox INDEXED BY inbox_pending
     WHERE integration = ? AND state = 'pending'`,
  );
  const insertInbox = db.prepare(
    `INSERT INTO inbox (integration, event_id, key, version, payload, state, received_at)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  const selectInboxPending = db.prepare(
    `SELECT * FROM inbox INDEXED BY inbox_pending
     WHERE integration = ? AND state = 'pending' AND seq > ? ORDER BY seq LIMIT ?`,
  );
  const acknowledgeInbox = db.prepare(
    `UPDATE inbox SET state = 'done', payload = NULL WHERE integration = ? AND state = 'pending' AND seq <= ?`,
  );
  const pruneInbox = db.prepare(
    `DELETE FROM inbox INDEXED BY inbox_by_age WHERE integration = ? AND state != 'pending' AND received_at < ?`,
  );
  const listQueries = new Map<string, StatementSync>();

  function cachedStatement(sql: string): StatementSync {
    let statement = listQueries.get(sql);
    if (statement === undefined) {
      statement = db.prepare(sql);
      listQueries.set(sql, statement);
    }
    return statement;
  }

  /** Runs `fn` in one write transaction; rolls back on any error. */
  function transaction<T>(fn: () => T): T {
    db.exec('BEGIN IMMEDIATE');
    try {
      const result = fn();
      db.exec('COMMIT');
      return result;
    } catch (error) {
      if (db.isTransaction) db.exec('ROLLBACK');
      throw error;
    }
  }

  function writeBatch(items: readonly QueuedWrite[]): void {
    let updates = 0;
    let letters = 0;
    try {
      transaction(() => {
        const at = now();
        const runIds = new Set<string>();
        for (const item of items) {
          runIds.add(item.runId);
          if (item.kind === 'records') {
            for (const u of item.updates) {
              const lastErrorSet = u.lastError !== undefined;
              upsertRecord.run(
                item.integration,
                u.key,
                u.state,
                u.attempts ?? null,
                u.firstMappedAt ?? null,
                u.bodyHash ?? null,
                typeof u.lastError === 'string' ? redactSecrets(u.lastError) : null,
                item.runId,
                at,
                lastErrorSet ? 1 : 0,
                u.keyGeneration ?? null,
                u.refused === undefined || u.refused === null ? null : u.refused ? 1 : 0,
                u.refused !== undefined ? 1 : 0,
                u.deliveredHash ?? null,
                u.deliveredHash !== undefined ? 1 : 0,
              );
            }
            updates += item.updates.length;
          } else {
            insertDeadLetter.run(
              item.integration,
              item.key,
              item.runId,
              item.state,
              item.record,
              item.body,
              item.reasons,
              at,
            );
            letters++;
          }
        }
        for (const runId of runIds) touchRun.run(at, runId);
      });
    } catch (error) {
      throw stateError(`writing ${items.length} queued updates`, path, error);
    }
    batches++;
    recordUpdates += updates;
    deadLetters += letters;
  }

  const group = createGroupCommit(writeBatch, { delayMs: options.commitDelayMs ?? 5 });

  function assertOpen(): void {
    if (closed)
      throw new FerryError('FERRY_ERR_STATE', `the ledger ${path} is closed`, { details: { path } });
  }

  /**
   * Every synchronous read or write first writes what is queued, so the ledger applies operations in the
   * order they were called: a checkpoint is never stored ahead of the record states queued before it.
   */
  function sync<T>(what: string, fn: () => T): T {
    assertOpen();
    group.flushNow();
    try {
      return fn();
    } catch (error) {
      throw stateError(what, path, error);
    }
  }

  function enqueue(item: QueuedWrite): Promise<void> {
    if (closed) {
      return Promise.reject(
        new FerryError('FERRY_ERR_STATE', `the ledger ${path} is closed`, { details: { path } }),
      );
    }
    return group.enqueue(item);
  }

  function deadLetterFilter(options: DeadLetterFilter): { where: string; params: SQLInputValue[] } {
    const where: string[] = [];
    const params: SQLInputValue[] = [];
    if (options.integration !== undefined) {
      where.push('integration = ?');
      params.push(options.integration);
    }
    if (options.state !== undefined) {
      where.push('state = ?');
      params.push(options.state);
    }
    if (!options.includeResolved) where.push('resolved_at IS NULL');
    if (options.runId !== undefined) {
      where.push('run_id = ?');
      params.push(options.runId);
    }
    if (options.reason !== undefined) {
      where.push("EXISTS (SELECT 1 FROM json_each(reasons) WHERE json_extract(value, '$.code') = ?)");
      params.push(options.reason);
    }
    if (options.field !== undefined) {
      where.push("EXISTS (SELECT 1 FROM json_each(reasons) WHERE json_extract(value, '$.field') = ?)");
      params.push(options.field);
    }
    return { where: where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '', params };
  }

  async function listDeadLetters(
    options: DeadLetterFilter & { limit?: number; beforeId?: number } = {},
  ): Promise<DeadLetter[]> {
    return sync('listing dead letters', () => {
      const { where, params } = deadLetterFilter(options);
      let sql = `SELECT * FROM dead_letters${where}`;
      if (options.beforeId !== undefined) {
        sql += `${where ? ' AND' : ' WHERE'} id < ?`;
        params.push(Math.trunc(options.beforeId));
      }
      sql += ' ORDER BY id DESC';
      if (options.limit !== undefined) {
        sql += ' LIMIT ?';
        params.push(Math.max(0, Math.trunc(options.limit)));
      }
      return cachedStatement(sql)
        .all(...params)
        .map((row) => toDeadLetter(row));
    });
  }

  async function countDeadLetters(options: DeadLetterFilter = {}): Promise<number> {
    return sync('counting dead letters', () => {
      const { where, params } = deadLetterFilter(options);
      const row = cachedStatement(`SELECT count(*) AS n FROM dead_letters${where}`).get(...params);
      return Number((row as { n: number | bigint } | undefined)?.n ?? 0);
    });
  }

  const ledger: SqliteLedger = {
    path,
    location: stateDir,
    created,

    acquireRunLock(): void {
      assertOpen();
      lock.acquire();
    },
    releaseRunLock(): void {
      lock.release();
    },
    get holdsRunLock() {
      return lock.held;
    },
    stats: () => ({ batches, recordUpdates, deadLetters }),

    async startRun(integration: string, startedAt: string): Promise<RunRow> {
      assertOpen();
      lock.acquire();
      const id = randomUUID();
      sync('starting a run', () => insertRun.run(id, integration, startedAt, process.pid));
      ownRuns.add(id);
      return { id, integration, status: 'running', startedAt, endedAt: null, counts: {}, report: null };
    },

    async markCrashedRuns(integration: string): Promise<string[]> {
      // The run lock is the kernel's: while nobody else holds it, no other run is alive here, whatever
      // the pids its rows name.
      if (!(lock.held || lock.isFree())) return [];
      return sync('marking crashed runs', () =>
        transaction(() => {
          const crashed: string[] = [];
          for (const row of selectRunning.all(integration)) {
            const id = str(row.id);
            if (ownRuns.has(id)) continue;
            markCrashed.run(strOrNull(row.last_active_at) ?? str(row.started_at), id);
            crashed.push(id);
          }
          return crashed;
        }),
      );
    },

    async finishRun(
      runId: string,
      status: RunStatus,
      counts: Record<string, number>,
      report: unknown,
    ): Promise<void> {
      sync('finishing a run', () => {
        const result = updateRunEnd.run(status, now(), JSON.stringify(counts), toJson(report), runId);
        if (Number(result.changes) === 0) {
          throw new FerryError('FERRY_ERR_STATE', `finishing run ${runId}: no such run in ${path}`, {
            details: { path, runId },
          });
        }
      });
      ownRuns.delete(runId);
    },

    async getRun(runId: string): Promise<RunRow | undefined> {
      return sync('reading a run', () => {
        const row = selectRun.get(runId);
        return row === undefined ? undefined : toRunRow(row);
      });
    },

    async findRunsByIdPrefix(prefix: string, limit = 10): Promise<RunRow[]> {
      return sync('finding runs', () => {
        // Run ids are UUIDs; anything else cannot prefix one, and LIKE must not see wildcards.
        if (!/^[0-9a-f-]+$/i.test(prefix)) return [];
        return cachedStatement('SELECT * FROM runs WHERE id LIKE ? ORDER BY started_at DESC LIMIT ?')
          .all(`${prefix.toLowerCase()}%`, Math.max(0, Math.trunc(limit)))
          .map((row) => toRunRow(row));
      });
    },

    async listRuns(options: RunFilter = {}): Promise<RunRow[]> {
      return sync('listing runs', () => {
        const where: string[] = [];
        const params: SQLInputValue[] = [];
        if (options.integration !== undefined) {
          where.push('integration = ?');
          params.push(options.integration);
        }
        if (options.status !== undefined) {
          where.push('status = ?');
          params.push(options.status);
        }
        if (options.beforeId !== undefined) {
          // An unknown id makes the row value NULL, which compares as nothing: an empty page, as documented.
          where.push('(started_at, rowid) < (SELECT started_at, rowid FROM runs WHERE id = ?)');
          params.push(options.beforeId);
        }
        let sql = `SELECT * FROM runs${where.length > 0 ? ` WHERE ${where.join(' AND ')}` : ''}`;
        // rowid breaks ties between runs started in the same millisecond.
        sql += ' ORDER BY started_at DESC, rowid DESC';
        if (options.limit !== undefined) {
          sql += ' LIMIT ?';
          params.push(Math.max(0, Math.trunc(options.limit)));
        }
        return cachedStatement(sql)
          .all(...params)
          .map((row) => toRunRow(row));
      });
    },

    async getCheckpoint(integration: string): Promise<Checkpoint | null> {
      return sync('reading the checkpoint', () => {
        const row = selectCheckpoint.get(integration);
        return (parseJson(row?.checkpoint) as Checkpoint | null) ?? null;
      });
    },

    async saveCheckpoint(
      integration: string,
      checkpoint: Checkpoint | null,
      runId: string,
      highWater?: HighWaterMark,
    ): Promise<void> {
      sync('saving the checkpoint', () => {
        // The row stays when cleared: it records which run read the source to its end, and when.
        upsertCheckpoint.run(
          integration,
          checkpoint === null ? null : toJson(checkpoint),
          runId,
          now(),
          highWater === undefined ? null : toJson(highWater),
          highWater === undefined ? 0 : 1,
        );
      });
    },

    async getHighWaterMark(integration: string): Promise<HighWaterMark | null> {
      return sync('reading the high-water mark', () => {
        const row = selectHighWater.get(integration);
        return (parseJson(row?.high_water) as HighWaterMark | null) ?? null;
      });
    },

    async hasReadToEnd(integration: string): Promise<boolean> {
      return sync('reading the checkpoint', () => selectReadToEnd.get(integration) !== undefined);
    },

    async getRecords(integration: string, keys: readonly string[]): Promise<Map<string, RecordRow>> {
      return sync('reading records', () => {
        const out = new Map<string, RecordRow>();
        for (const chunk of chunks(keys, KEY_CHUNK)) {
          for (const row of selectRecords.all(integration, JSON.stringify(chunk))) {
            const record = toRecordRow(row);
            out.set(record.key, record);
          }
        }
        return out;
      });
    },

    async listInFlight(integration: string): Promise<RecordRow[]> {
      return sync('listing in-flight records', () =>
        selectInFlight.all(integration).map((row) => toRecordRow(row)),
      );
    },

    async recordHistory(key: string, options: { integration?: string } = {}): Promise<RecordHistory[]> {
      return sync('reading a record history', () => {
        // Every integration with a record has a run: the key index then serves each lookup.
        const integrations =
          options.integration === undefined
            ? selectIntegrations.all().map((row) => str(row.integration))
            : [options.integration];
        return integrations.flatMap((integration) => {
          const row = selectRecord.get(integration, key);
          if (row === undefined) return [];
          return [
            {
              integration,
              record: toRecordRow(row),
              changes: selectChanges.all(row.id as number).map((change) => ({
                runId: str(change.run_id),
                state: str(change.state) as RecordState,
                attempts: Number(change.attempts),
                bodyHash: strOrNull(change.body_hash),
                reason: strOrNull(change.reason),
                at: str(change.at),
              })),
              deadLetters: selectLettersOfKey.all(integration, key).map((letter) => toDeadLetter(letter)),
            },
          ];
        });
      });
    },

    update(integration: string, runId: string, updates: readonly RecordUpdate[]): Promise<void> {
      if (updates.length === 0 && !closed) return Promise.resolve();
      return enqueue({ kind: 'records', integration, runId, updates: [...updates] });
    },

    async updateNow(integration: string, runId: string, updates: readonly RecordUpdate[]): Promise<void> {
      assertOpen();
      if (updates.length === 0) return;
      // Queued then flushed, so the final states waiting for the timer share this transaction. Committed
      // before this returns: node:sqlite is synchronous, so the promise is settled already.
      enqueue({ kind: 'records', integration, runId, updates }).catch(() => {
        // flushNow throws the same error, which rejects this call.
      });
      group.flushNow();
    },

    async flush(): Promise<void> {
      assertOpen();
      group.flushNow();
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
        return Promise.reject(stateError(`serialising the dead letter for key ${letter.key}`, path, error));
      }
      return enqueue(item);
    },

    listDeadLetters,
    countDeadLetters,

    async getDeadLetter(id: number): Promise<DeadLetter | undefined> {
      return sync('reading a dead letter', () => {
        const row = selectDeadLetter.get(id);
        return row === undefined ? undefined : toDeadLetter(row);
      });
    },

    async resolveDeadLetter(id: number, resolvedAt: string): Promise<void> {
      sync('resolving a dead letter', () => {
        const result = resolveLetter.run(resolvedAt, id);
        if (Number(result.changes) === 0) {
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
      return sync('purging dead letters', () =>
        transaction(() => {
          if (options.ids === undefined) {
            return Number(
              cachedStatement('DELETE FROM dead_letters WHERE integration = ?').run(options.integration!)
                .changes,
            );
          }
          let purged = 0;
          const byIds =
            options.integration === undefined
              ? cachedStatement('DELETE FROM dead_letters WHERE id IN (SELECT value FROM json_each(?))')
              : cachedStatement(
                  'DELETE FROM dead_letters WHERE integration = ? AND id IN (SELECT value FROM json_each(?))',
                );
          for (const chunk of chunks(options.ids, KEY_CHUNK)) {
            const ids = JSON.stringify(chunk);
            const result =
              options.integration === undefined ? byIds.run(ids) : byIds.run(options.integration, ids);
            purged += Number(result.changes);
          }
          return purged;
        }),
      );
    },

    async inboxAdd(
      event: InboxEvent,
      options: { readonly maxPending: number },
    ): Promise<{ outcome: InboxOutcome; seq?: number }> {
      let payload: string | null;
      try {
        payload = toJson(event.payload);
      } catch (error) {
        throw stateError(`serialising the event ${event.eventId}`, path, error);
      }
      return sync(`storing the event ${event.eventId} in the inbox`, () =>
        transaction(() => {
          const { integration, eventId, key, version, receivedAt } = event;
          if (selectInboxEvent.get(integration, eventId) !== undefined)
            return { outcome: 'duplicate' as const };
          const ordered = key !== null && version !== null;
          if (ordered) {
            const newest = selectNewestVersion.get(integration, key)?.newest;
            if (newest !== null && newest !== undefined && Number(newest) > version) {
              const stale = insertInbox.run(integration, eventId, key, version, null, 'stale', receivedAt);
              return { outcome: 'stale' as const, seq: Number(stale.lastInsertRowid) };
            }
          }
          if (Number(countPending.get(integration)?.n ?? 0) >= options.maxPending) {
            return { outcome: 'full' as const };
          }
          const added = insertInbox.run(integration, eventId, key, version, payload, 'pending', receivedAt);
          return { outcome: 'accepted' as const, seq: Number(added.lastInsertRowid) };
        }),
      );
    },

    async inboxRead(integration: string, afterSeq: number, limit: number): Promise<InboxEntry[]> {
      return sync('reading the inbox', () =>
        selectInboxPending
          .all(integration, Math.trunc(afterSeq), Math.max(0, Math.trunc(limit)))
          .map((row) => toInboxEntry(row)),
      );
    },

    async inboxAcknowledge(integration: string, upToSeq: number): Promise<void> {
      sync('acknowledging inbox events', () => acknowledgeInbox.run(integration, Math.trunc(upToSeq)));
    },

    async inboxStats(integration: string) {
      return sync('counting inbox events', () => {
        const row = countPending.get(integration);
        return { pending: Number(row?.n ?? 0), oldestPendingAt: strOrNull(row?.oldest) };
      });
    },

    async inboxPrune(integration: string, before: string): Promise<number> {
      return sync('pruning the inbox', () => Number(pruneInbox.run(integration, before).changes));
    },

    async close(): Promise<void> {
      if (closed) return;
      let failure: unknown;
      try {
        group.flushNow();
      } catch (error) {
        failure = error;
      }
      closed = true;
      try {
        // Folds the WAL back into the database so the state directory is one self-contained file at rest.
        db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
      } catch (error) {
        failure ??= stateError('checkpointing the WAL', path, error);
      }
      try {
        db.close();
      } catch (error) {
        failure ??= stateError('closing', path, error);
      }
      lock.release();
      if (failure !== undefined) throw failure;
    },
  };
  return ledger;
}
