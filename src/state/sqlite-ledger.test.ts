import { spawnSync } from 'node:child_process';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { hasErrorCode } from '../core/errors.ts';
import { clearSecretsForTests } from '../core/secret-registry.ts';
import { migrations, SCHEMA_VERSION } from './migrations.ts';
import { createRunLock } from './run-lock.ts';
import { openSqliteLedger, type SqliteLedger } from './sqlite-ledger.ts';

/** Every column a record row had before migration 4 added its row id. */
const RECORD_COLUMNS =
  'integration, key, state, attempts, first_mapped_at, body_hash, last_error, run_id, updated_at';

/** A ledger as version 4 left it: run r1 of integration i (with this status) and these record rows. */
function writeVersion4Ledger(runStatus: string, recordValues: string): void {
  const db = new DatabaseSync(join(dir, 'ferry.db'));
  for (const migration of migrations.slice(0, 4)) db.exec(migration);
  db.exec('PRAGMA user_version = 4');
  db.exec(`INSERT INTO runs (id, integration, status, started_at) VALUES ('r1', 'i', '${runStatus}', 'x')`);
  db.exec(`INSERT INTO records (${RECORD_COLUMNS}) VALUES ${recordValues}`);
  db.close();
}

let dir: string;
const open: SqliteLedger[] = [];

/** A fixed, steppable clock so stored times are predictable. */
function steppingClock(start = Date.parse('2025-01-01T00:00:00Z')) {
  let now = start;
  return () => {
    now += 1000;
    return new Date(now);
  };
}

async function ledgerAt(stateDir = dir): Promise<SqliteLedger> {
  const ledger = await openSqliteLedger(stateDir, { clock: steppingClock() });
  open.push(ledger);
  return ledger;
}

function raw(stateDir = dir): DatabaseSync {
  return new DatabaseSync(join(stateDir, 'ferry.db'), { readOnly: true });
}

/** How SQLite plans the in-flight listing of integration 'i'. */
function inFlightPlan(db: DatabaseSync): string {
  return db
    .prepare(
      `EXPLAIN QUERY PLAN SELECT * FROM records INDEXED BY records_in_flight WHERE integration = 'i' AND state = 'in_flight'`,
    )
    .all()
    .map((r) => String(r.detail))
    .join(' ');
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-ledger-'));
});
afterEach(async () => {
  vi.restoreAllMocks();
  clearSecretsForTests();
  for (const ledger of open.splice(0)) await ledger.close();
  await rm(dir, { recursive: true, force: true });
});

describe('opening', () => {
  it('creates the state directory, an owner-only database and the schema', async () => {
    const stateDir = join(dir, 'nested', 'state');
    const ledger = await ledgerAt(stateDir);
    expect(ledger.path).toBe(join(stateDir, 'ferry.db'));
    expect(statSync(stateDir).mode & 0o777).toBe(0o700);
    expect(statSync(ledger.path).mode & 0o777).toBe(0o600);

    const db = raw(stateDir);
    const tables = db
      .prepare(`SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name`)
      .all()
      .map((r) => r.name);
    expect(tables).toEqual([
      'checkpoints',
      'dead_letters',
      'inbox',
      'record_history',
      'records',
      'runs',
      // AUTOINCREMENT's table: the inbox never gives a seq twice.
      'sqlite_sequence',
    ]);
    const indexes = db
      .prepare(`SELECT name FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL ORDER BY name`)
      .all()
      .map((r) => r.name);
    expect(indexes).toContain('records_in_flight');
    expect(indexes).not.toContain('records_by_state');
    expect(indexes).toContain('dead_letters_by_integration');
    expect(db.prepare('PRAGMA user_version').get()?.user_version).toBe(SCHEMA_VERSION);
    expect(db.prepare('PRAGMA journal_mode').get()?.journal_mode).toBe('wal');
    db.close();
  });

  it('reopens an existing ledger without migrating it again and keeps its data', async () => {
    const first = await ledgerAt();
    const run = await first.startRun('customers-to-orders', '2025-01-01T00:00:00.000Z');
    await first.close();
    const second = await ledgerAt();
    expect((await second.getRun(run.id))?.integration).toBe('customers-to-orders');
  });

  it('upgrades a version-1 ledger in place: its records stay and in-flight ones are found by the new index', async () => {
    const db = new DatabaseSync(join(dir, 'ferry.db'));
    db.exec(migrations[0]!);
    db.exec('PRAGMA user_version = 1');
    db.exec(`INSERT INTO runs (id, integration, status, started_at) VALUES ('r1', 'i', 'crashed', 'x')`);
    db.exec(`INSERT INTO records (integration, key, state, run_id, updated_at) VALUES
      ('i', 'a', 'in_flight', 'r1', 'x'), ('i', 'b', 'delivered', 'r1', 'x')`);
    db.close();

    const ledger = await ledgerAt();
    expect((await ledger.listInFlight('i')).map((r) => r.key)).toEqual(['a']);
    expect([...(await ledger.getRecords('i', ['a', 'b'])).keys()].sort()).toEqual(['a', 'b']);
    const check = raw();
    expect(check.prepare('PRAGMA user_version').get()?.user_version).toBe(SCHEMA_VERSION);
    expect(inFlightPlan(check)).toContain('records_in_flight');
    check.close();
  });

  it('upgrades a version-3 ledger: records keep every column and their keys stay unique, in-flight ones are still listed in key order', async () => {
    const db = new DatabaseSync(join(dir, 'ferry.db'));
    for (const migration of migrations.slice(0, 3)) db.exec(migration);
    db.exec('PRAGMA user_version = 3');
    db.exec(`INSERT INTO runs (id, integration, status, started_at) VALUES ('r1', 'i', 'crashed', 'x')`);
    const insert = db.prepare(
      `INSERT INTO records VALUES (:integration, :key, :state, :attempts, :first_mapped_at, :body_hash, :last_error, :run_id, :updated_at)`,
    );
    const rows = ['c', 'a', 'b'].map((key) => ({
      integration: 'i',
      key,
      state: key === 'b' ? 'delivered' : 'in_flight',
      attempts: 1,
      first_mapped_at: '2025-01-01T00:00:00.000Z',
      body_hash: `h-${key}`,
      last_error: null,
      run_id: 'r1',
      updated_at: '2025-01-02T00:00:00.000Z',
    }));
    for (const row of rows) insert.run(row);
    db.close();

    const ledger = await ledgerAt();
    expect((await ledger.listInFlight('i')).map((r) => r.key)).toEqual(['a', 'c']);
    const check = new DatabaseSync(join(dir, 'ferry.db'));
    expect(check.prepare(`SELECT ${RECORD_COLUMNS} FROM records ORDER BY key`).all()).toEqual(
      [...rows].sort((x, y) => x.key.localeCompare(y.key)),
    );
    expect(() =>
      check.exec(
        `INSERT INTO records (integration, key, state, run_id, updated_at) VALUES ('i', 'a', 'delivered', 'r1', 'x')`,
      ),
    ).toThrow(/UNIQUE constraint failed/);
    expect(inFlightPlan(check)).toContain('records_in_flight');
    check.close();
  });

  it('upgrades a version-6 ledger: a record whose last failure was a 4xx refusal is known as refused, a 5xx or 409 not', async () => {
    const db = new DatabaseSync(join(dir, 'ferry.db'));
    for (const migration of migrations.slice(0, 6)) db.exec(migration);
    db.exec('PRAGMA user_version = 6');
    db.exec(`INSERT INTO runs (id, integration, status, started_at) VALUES ('r1', 'i', 'completed', 'x')`);
    const row = (key: string, status: string) =>
      `('i', '${key}', 'failed', 1, 't', 'h', 'e', 'r1', 'u', 0, ${status})`;
    db.exec(
      `INSERT INTO records (${RECORD_COLUMNS}, key_generation, last_status) VALUES ${[
        row('refused', '422'),
        row('server', '503'),
        row('conflict', '409'),
        row('unanswered', 'NULL'),
      ].join(', ')}`,
    );
    db.close();
    const ledger = await ledgerAt();
    const rows = await ledger.getRecords('i', ['refused', 'server', 'conflict', 'unanswered']);
    expect(Object.fromEntries([...rows].map(([key, r]) => [key, r.refused]))).toEqual({
      refused: true,
      server: false,
      conflict: false,
      unanswered: null,
    });
  });

  it('upgrades a version-4 ledger: records keep every column, at key generation 0 with no last status', async () => {
    writeVersion4Ledger('crashed', `('i', 'a', 'failed', 2, 't', 'h', 'e', 'r1', 'u')`);
    const ledger = await ledgerAt();
    expect((await ledger.getRecords('i', ['a'])).get('a')).toMatchObject({
      state: 'failed',
      attempts: 2,
      bodyHash: 'h',
      keyGeneration: 0,
      refused: null,
      openDeadLetter: false,
    });
  });

  it('upgrades a version-2 ledger: records keep every column, the state check holds and costs no temporary index', async () => {
    const db = new DatabaseSync(join(dir, 'ferry.db'));
    db.exec(migrations[0]!);
    db.exec(migrations[1]!);
    db.exec('PRAGMA user_version = 2');
    db.exec(`INSERT INTO runs (id, integration, status, started_at) VALUES ('r1', 'i', 'completed', 'x')`);
    const row = {
      integration: 'i',
      key: 'a',
      state: 'failed',
      attempts: 3,
      first_mapped_at: '2025-01-01T00:00:00.000Z',
      body_hash: 'h',
      last_error: 'HTTP 422',
      run_id: 'r1',
      updated_at: '2025-01-02T00:00:00.000Z',
    };
    db.prepare(
      `INSERT INTO records VALUES (:integration, :key, :state, :attempts, :first_mapped_at, :body_hash, :last_error, :run_id, :updated_at)`,
    ).run(row);
    db.close();

    await ledgerAt();
    const check = new DatabaseSync(join(dir, 'ferry.db'));
    expect(check.prepare(`SELECT ${RECORD_COLUMNS} FROM records`).all()).toEqual([row]);
    expect(() =>
      check.exec(
        `INSERT INTO records (integration, key, state, run_id, updated_at) VALUES ('i', 'b', 'lost', 'r1', 'x')`,
      ),
    ).toThrow(/CHECK constraint failed/);
    const opcodes = check
      .prepare(
        `EXPLAIN INSERT INTO records (integration, key, state, run_id, updated_at) VALUES (?, ?, ?, ?, ?)`,
      )
      .all()
      .map((r) => r.opcode);
    expect(opcodes).not.toContain('OpenEphemeral');
    check.close();
  });

  it('refuses a ledger written by a newer ferry', async () => {
    const first = await ledgerAt();
    await first.close();
    const db = new DatabaseSync(join(dir, 'ferry.db'));
    db.exec(`PRAGMA user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    const error = await openSqliteLedger(dir).catch((e: unknown) => e);
    expect(hasErrorCode(error, 'FERRY_ERR_STATE')).toBe(true);
    expect(String(error)).toContain('newer');
  });
});

describe('record updates', () => {
  it('writes updates queued in the same tick in one transaction', async () => {
    const ledger = await ledgerAt();
    const run = await ledger.startRun('i', '2025-01-01T00:00:00.000Z');
    const exec = vi.spyOn(DatabaseSync.prototype, 'exec');
    const pending = Array.from({ length: 500 }, (_, n) =>
      ledger.update('i', run.id, [{ key: `k${n}`, state: 'in_flight' }]),
    );
    pending.push(
      ledger.addDeadLetter({
        integration: 'i',
        key: 'bad',
        runId: run.id,
        state: 'quarantined',
        record: {},
        body: undefined,
        reasons: [],
      }),
    );
    await Promise.all(pending);
    const begins = exec.mock.calls.filter(([sql]) => sql === 'BEGIN IMMEDIATE');
    expect(begins).toHaveLength(1);
    expect(ledger.stats()).toEqual({ batches: 1, recordUpdates: 500, deadLetters: 1 });
    expect((await ledger.getRecords('i', ['k0', 'k499'])).size).toBe(2);
  });

  it('updateNow commits before it resolves, in the same transaction as the queued updates', async () => {
    const ledger = await ledgerAt();
    const run = await ledger.startRun('i', '2025-01-01T00:00:00.000Z');
    const queued = ledger.update('i', run.id, [{ key: 'done', state: 'delivered', attempts: 1 }]);
    const exec = vi.spyOn(DatabaseSync.prototype, 'exec');
    await ledger.updateNow('i', run.id, [
      { key: 'a', state: 'in_flight', attempts: 1 },
      { key: 'b', state: 'in_flight', attempts: 1 },
    ]);
    // Another connection sees the marks at once: they are committed, not merely queued.
    const other = raw();
    const rows = other.prepare(`SELECT key, state FROM records ORDER BY key`).all();
    other.close();
    expect(rows).toEqual([
      { key: 'a', state: 'in_flight' },
      { key: 'b', state: 'in_flight' },
      { key: 'done', state: 'delivered' },
    ]);
    expect(exec.mock.calls.filter(([sql]) => sql === 'BEGIN IMMEDIATE')).toHaveLength(1);
    await queued;
  });

  it('rejects every waiter of a failed transaction with FERRY_ERR_STATE and writes none of it', async () => {
    const ledger = await ledgerAt();
    const run = await ledger.startRun('i', '2025-01-01T00:00:00.000Z');
    const results = await Promise.allSettled([
      ledger.update('i', run.id, [{ key: 'good', state: 'delivered' }]),
      // No such state: the CHECK fails the whole batch.
      ledger.update('i', run.id, [{ key: 'orphan', state: 'bogus' as 'delivered' }]),
    ]);
    for (const result of results) {
      expect(result.status).toBe('rejected');
      expect(hasErrorCode((result as PromiseRejectedResult).reason, 'FERRY_ERR_STATE')).toBe(true);
    }
    expect((await ledger.getRecords('i', ['good', 'orphan'])).size).toBe(0);
    await ledger.update('i', run.id, [{ key: 'good', state: 'delivered' }]);
    expect((await ledger.getRecords('i', ['good'])).size).toBe(1);
  });

  it('flush writes queued updates and close flushes the rest', async () => {
    const ledger = await ledgerAt();
    const run = await ledger.startRun('i', '2025-01-01T00:00:00.000Z');
    const first = ledger.update('i', run.id, [{ key: 'a', state: 'delivered' }]);
    await ledger.flush();
    expect(ledger.stats().batches).toBe(1);
    await first;
    const second = ledger.update('i', run.id, [{ key: 'b', state: 'delivered' }]);
    await ledger.close();
    await second;
    const db = raw();
    expect(db.prepare('SELECT count(*) AS n FROM records').get()?.n).toBe(2);
    db.close();
  });
});

describe('runs', () => {
  it('marks runs left running by a dead process as crashed, and not its own', async () => {
    const crashedDir = dir;
    const earlier = await ledgerAt(crashedDir);
    const stale = await earlier.startRun('a', '2025-01-01T00:00:00.000Z');
    const other = await earlier.startRun('b', '2025-01-01T00:00:00.000Z');
    await earlier.update('a', stale.id, [{ key: 'x', state: 'in_flight' }]);
    // Simulates the process dying: the lock and the 'running' row stay behind.
    earlier.releaseRunLock();
    const db = new DatabaseSync(join(crashedDir, 'ferry.db'));
    const deadPid = Number(
      spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']).stdout,
    );
    db.prepare('UPDATE runs SET pid = ?').run(deadPid);
    db.close();

    const ledger = await ledgerAt(crashedDir);
    const current = await ledger.startRun('a', '2025-01-05T00:00:00.000Z');
    expect(await ledger.markCrashedRuns('a')).toEqual([stale.id]);
    expect((await ledger.getRun(stale.id))?.status).toBe('crashed');
    expect((await ledger.getRun(current.id))?.status).toBe('running');
    expect((await ledger.getRun(other.id))?.status).toBe('running');
    expect(await ledger.markCrashedRuns('a')).toEqual([]);
  });
});

describe('the run lock', () => {
  it('lets one ledger per state directory start runs, and reads without the lock', async () => {
    const runner = await ledgerAt();
    await runner.startRun('a', '2025-01-01T00:00:00.000Z');
    expect(runner.holdsRunLock).toBe(true);
    const second = await ledgerAt();
    const error = await second.startRun('a', '2025-01-02T00:00:00.000Z').catch((e: unknown) => e);
    expect(hasErrorCode(error, 'FERRY_ERR_STATE_LOCKED')).toBe(true);
    expect(String(error)).toContain(`pid ${process.pid}`);
    expect(await second.listRuns()).toHaveLength(1);
    await runner.close();
    second.acquireRunLock();
    expect(second.holdsRunLock).toBe(true);
  });

  it('refuses to start a run while the state directory is locked, naming the holder', async () => {
    const holder = createRunLock(join(dir, 'ferry.lock'));
    holder.acquire();
    try {
      const ledger = await ledgerAt();
      await expect(ledger.startRun('a', '2025-01-01T00:00:00.000Z')).rejects.toThrow(`pid ${process.pid}`);
      expect(await ledger.markCrashedRuns('a')).toEqual([]);
    } finally {
      holder.release();
    }
  });
});

describe('closing', () => {
  it('truncates the WAL, releases the lock and refuses further use', async () => {
    const ledger = await ledgerAt();
    const run = await ledger.startRun('a', '2025-01-01T00:00:00.000Z');
    await ledger.update('a', run.id, [{ key: 'k', state: 'delivered' }]);
    await ledger.close();
    const wal = join(dir, 'ferry.db-wal');
    expect(!existsSync(wal) || statSync(wal).size === 0).toBe(true);
    expect(createRunLock(join(dir, 'ferry.lock')).isFree()).toBe(true);
    await expect(ledger.update('a', run.id, [{ key: 'k', state: 'failed' }])).rejects.toThrow(/closed/);
    await expect(ledger.listRuns()).rejects.toThrow(/closed/);
    await ledger.close();
  });
});

describe('record history', () => {
  it('upgrades a version-4 ledger: each existing record starts its history with its state then', async () => {
    writeVersion4Ledger(
      'completed',
      `('i', 'q', 'quarantined', 0, NULL, 'src:h', 'email is missing', 'r1', '2025-01-02T00:00:00.000Z'),
       ('i', 'd', 'delivered', 2, 't', 'h', 'HTTP 503 before it went through', 'r1', '2025-01-02T00:00:01.000Z')`,
    );
    const ledger = await ledgerAt();
    expect((await ledger.recordHistory('q'))[0]?.changes).toEqual([
      {
        runId: 'r1',
        state: 'quarantined',
        attempts: 0,
        bodyHash: 'src:h',
        reason: 'email is missing',
        at: '2025-01-02T00:00:00.000Z',
      },
    ]);
    expect((await ledger.recordHistory('d'))[0]?.changes).toEqual([
      {
        runId: 'r1',
        state: 'delivered',
        attempts: 2,
        bodyHash: 'h',
        reason: null,
        at: '2025-01-02T00:00:01.000Z',
      },
    ]);
    // Records were only ever created before updates existed: a delivered one holds what it last sent.
    const rows = await ledger.getRecords('i', ['q', 'd']);
    expect(rows.get('d')?.deliveredHash).toBe('h');
    expect(rows.get('q')?.deliveredHash).toBeNull();
  });
});

describe('the state directory', () => {
  it('says whether opening created the ledger', async () => {
    expect((await ledgerAt()).created).toBe(true);
    await open.pop()!.close();
    expect((await ledgerAt()).created).toBe(false);
  });

  it('creates no ledger where one must already exist', async () => {
    const missing = join(dir, 'nothing-here');
    await expect(openSqliteLedger(missing, { mustExist: true })).rejects.toMatchObject({
      code: 'FERRY_ERR_STATE_NOT_FOUND',
      message: `no ledger at ${missing} (no ferry.db there)`,
    });
    await expect(openSqliteLedger(dir, { mustExist: true })).rejects.toMatchObject({
      code: 'FERRY_ERR_STATE_NOT_FOUND',
    });
    expect(existsSync(missing)).toBe(false);
    expect(existsSync(join(dir, 'ferry.db'))).toBe(false);
  });

  it('refuses a path that is not a directory as an environment error naming it', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, '');
    for (const path of [file, '/dev/null', join(file, 'below')]) {
      await expect(openSqliteLedger(path)).rejects.toMatchObject({
        code: 'FERRY_ERR_STATE_UNUSABLE',
        message: expect.stringContaining(`the state directory ${path} `),
      });
    }
  });
});
