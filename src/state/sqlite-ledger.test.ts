import { spawnSync } from 'node:child_process';
import { existsSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { hasErrorCode } from '../core/errors.ts';
import { clearSecretsForTests, registerSecret } from '../core/secret-registry.ts';
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
    expect(tables).toEqual(['checkpoints', 'dead_letters', 'record_history', 'records', 'runs']);
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
    const run = first.startRun('customers-to-orders', '2025-01-01T00:00:00.000Z');
    await first.close();
    const second = await ledgerAt();
    expect(second.getRun(run.id)?.integration).toBe('customers-to-orders');
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
    expect(ledger.listInFlight('i').map((r) => r.key)).toEqual(['a']);
    expect([...ledger.getRecords('i', ['a', 'b']).keys()].sort()).toEqual(['a', 'b']);
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
    expect(ledger.listInFlight('i').map((r) => r.key)).toEqual(['a', 'c']);
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

  it('upgrades a version-4 ledger: records keep every column, at key generation 0 with no last status', async () => {
    writeVersion4Ledger('crashed', `('i', 'a', 'failed', 2, 't', 'h', 'e', 'r1', 'u')`);
    const ledger = await ledgerAt();
    expect(ledger.getRecords('i', ['a']).get('a')).toMatchObject({
      state: 'failed',
      attempts: 2,
      bodyHash: 'h',
      keyGeneration: 0,
      lastStatus: null,
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
    const run = ledger.startRun('i', '2025-01-01T00:00:00.000Z');
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
    expect(ledger.getRecords('i', ['k0', 'k499']).size).toBe(2);
  });

  it('updateNow is durable on return and carries the queued updates in the same transaction', async () => {
    const ledger = await ledgerAt();
    const run = ledger.startRun('i', '2025-01-01T00:00:00.000Z');
    const queued = ledger.update('i', run.id, [{ key: 'done', state: 'delivered', attempts: 1 }]);
    const exec = vi.spyOn(DatabaseSync.prototype, 'exec');
    ledger.updateNow('i', run.id, [
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

  it('keeps columns an update leaves unset, and firstMappedAt once it is set', async () => {
    const ledger = await ledgerAt();
    const run = ledger.startRun('i', '2025-01-01T00:00:00.000Z');
    await ledger.update('i', run.id, [
      {
        key: 'a',
        state: 'in_flight',
        attempts: 1,
        firstMappedAt: '2025-01-01T00:00:00Z',
        bodyHash: 'h1',
        lastError: 'timeout',
      },
    ]);
    await ledger.update('i', run.id, [{ key: 'a', state: 'pending' }]);
    let row = ledger.getRecords('i', ['a']).get('a');
    expect(row).toMatchObject({
      state: 'pending',
      attempts: 1,
      firstMappedAt: '2025-01-01T00:00:00Z',
      bodyHash: 'h1',
      lastError: 'timeout',
    });

    await ledger.update('i', run.id, [
      { key: 'a', state: 'delivered', attempts: 2, firstMappedAt: '2030-06-06T00:00:00Z', lastError: null },
    ]);
    row = ledger.getRecords('i', ['a']).get('a');
    expect(row).toMatchObject({
      state: 'delivered',
      attempts: 2,
      firstMappedAt: '2025-01-01T00:00:00Z',
      lastError: null,
    });
  });

  it('keeps the key generation and last status until an update sets them, and says which records have an open dead letter', async () => {
    const ledger = await ledgerAt();
    const run = ledger.startRun('i', '2025-01-01T00:00:00.000Z');
    await ledger.update('i', run.id, [
      { key: 'a', state: 'failed', lastStatus: 400, lastError: '400' },
      { key: 'b', state: 'quarantined' },
    ]);
    expect(ledger.getRecords('i', ['a']).get('a')).toMatchObject({ keyGeneration: 0, lastStatus: 400 });
    await ledger.update('i', run.id, [{ key: 'a', state: 'in_flight', keyGeneration: 1 }]);
    expect(ledger.getRecords('i', ['a']).get('a')).toMatchObject({ keyGeneration: 1, lastStatus: 400 });
    await ledger.update('i', run.id, [{ key: 'a', state: 'failed', lastStatus: null }]);
    expect(ledger.getRecords('i', ['a']).get('a')).toMatchObject({ keyGeneration: 1, lastStatus: null });

    const letter = { integration: 'i', runId: run.id, record: {}, body: null, reasons: [] };
    await ledger.addDeadLetter({ ...letter, key: 'a', state: 'failed' });
    await ledger.addDeadLetter({ ...letter, key: 'b', state: 'quarantined' });
    const open = () =>
      Object.fromEntries([...ledger.getRecords('i', ['a', 'b'])].map(([k, r]) => [k, r.openDeadLetter]));
    expect(open()).toEqual({ a: true, b: true });
    const [first] = ledger.listDeadLetters({ integration: 'i', state: 'failed' });
    ledger.resolveDeadLetter(first!.id, '2025-01-02T00:00:00Z');
    ledger.purgeDeadLetters({
      integration: 'i',
      ids: ledger.listDeadLetters({ state: 'quarantined' }).map((l) => l.id),
    });
    expect(open()).toEqual({ a: false, b: false });
  });

  it('starts a new record at zero attempts and stamps run and time', async () => {
    const ledger = await ledgerAt();
    const run = ledger.startRun('i', '2025-01-01T00:00:00.000Z');
    await ledger.update('i', run.id, [{ key: 'a', state: 'pending' }]);
    const row = ledger.getRecords('i', ['a']).get('a');
    expect(row).toMatchObject({ attempts: 0, firstMappedAt: null, bodyHash: null, runId: run.id });
    expect(row?.updatedAt).toMatch(/^2025-01-01T00:00:\d\d\.000Z$/);
  });

  it('rejects every waiter of a failed transaction with FERRY_ERR_STATE and writes none of it', async () => {
    const ledger = await ledgerAt();
    const run = ledger.startRun('i', '2025-01-01T00:00:00.000Z');
    const results = await Promise.allSettled([
      ledger.update('i', run.id, [{ key: 'good', state: 'delivered' }]),
      // No such state: the CHECK fails the whole batch.
      ledger.update('i', run.id, [{ key: 'orphan', state: 'bogus' as 'delivered' }]),
    ]);
    for (const result of results) {
      expect(result.status).toBe('rejected');
      expect(hasErrorCode((result as PromiseRejectedResult).reason, 'FERRY_ERR_STATE')).toBe(true);
    }
    expect(ledger.getRecords('i', ['good', 'orphan']).size).toBe(0);
    await ledger.update('i', run.id, [{ key: 'good', state: 'delivered' }]);
    expect(ledger.getRecords('i', ['good']).size).toBe(1);
  });

  it('reads many keys across chunks and lists in-flight records', async () => {
    const ledger = await ledgerAt();
    const run = ledger.startRun('i', '2025-01-01T00:00:00.000Z');
    const keys = Array.from({ length: 1300 }, (_, n) => `key-${n}`);
    await ledger.update(
      'i',
      run.id,
      keys.map((key, n) => ({ key, state: n % 100 === 0 ? ('in_flight' as const) : ('delivered' as const) })),
    );
    await ledger.update('other', run.id, [{ key: 'key-1', state: 'in_flight' }]);
    const rows = ledger.getRecords('i', [...keys, 'missing']);
    expect(rows.size).toBe(1300);
    expect(rows.has('missing')).toBe(false);
    expect(rows.get('key-1')?.state).toBe('delivered');
    expect(ledger.listInFlight('i').map((r) => r.key)).toHaveLength(13);
    expect(ledger.listInFlight('other').map((r) => r.key)).toEqual(['key-1']);
  });

  it('writes queued updates before a checkpoint saved after them', async () => {
    const ledger = await ledgerAt();
    const run = ledger.startRun('i', '2025-01-01T00:00:00.000Z');
    const queued = ledger.update('i', run.id, [{ key: 'a', state: 'delivered' }]);
    ledger.saveCheckpoint(
      'i',
      { nextUrl: 'https://api.example.com/customers?page=2', pageNumber: 2 },
      run.id,
    );
    const db = raw();
    expect(db.prepare('SELECT state FROM records WHERE key = ?').get('a')?.state).toBe('delivered');
    db.close();
    await queued;
  });

  it('flush writes queued updates and close flushes the rest', async () => {
    const ledger = await ledgerAt();
    const run = ledger.startRun('i', '2025-01-01T00:00:00.000Z');
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

describe('checkpoints', () => {
  it('round-trips a checkpoint and clears it with null', async () => {
    const ledger = await ledgerAt();
    const run = ledger.startRun('i', '2025-01-01T00:00:00.000Z');
    expect(ledger.getCheckpoint('i')).toBeNull();
    const checkpoint = {
      nextUrl: 'https://api.example.com/customers?cursor=abc',
      pageNumber: 4,
      extra: { cursor: 'abc' },
    };
    ledger.saveCheckpoint('i', checkpoint, run.id);
    expect(ledger.getCheckpoint('i')).toEqual(checkpoint);
    expect(ledger.getCheckpoint('other')).toBeNull();
    ledger.saveCheckpoint('i', null, run.id);
    expect(ledger.getCheckpoint('i')).toBeNull();
  });

  it('never stores a secret in a checkpoint URL', async () => {
    const ledger = await ledgerAt();
    const run = ledger.startRun('i', '2025-01-01T00:00:00.000Z');
    ledger.saveCheckpoint(
      'i',
      { nextUrl: 'https://api.example.com/c?page=2&api_key=s3cr3t-value', pageNumber: 2 },
      run.id,
    );
    expect(ledger.getCheckpoint('i')?.nextUrl).not.toContain('s3cr3t-value');
  });
});

describe('dead letters', () => {
  it('round-trips a dead letter with its record, body and reasons, secrets masked', async () => {
    registerSecret('tok-very-secret');
    const ledger = await ledgerAt();
    const run = ledger.startRun('i', '2025-01-01T00:00:00.000Z');
    const reasons = [
      { field: 'email', code: 'required', message: 'email is missing' },
      { code: 'destination_422', message: 'rejected with tok-very-secret' },
    ];
    await ledger.addDeadLetter({
      integration: 'i',
      key: 'c-7',
      runId: run.id,
      state: 'failed',
      record: { customer_id: 7, note: 'tok-very-secret' },
      body: { orderId: 'ORD-7' },
      reasons,
    });
    const [letter] = ledger.listDeadLetters();
    expect(letter).toMatchObject({
      integration: 'i',
      key: 'c-7',
      runId: run.id,
      state: 'failed',
      record: { customer_id: 7, note: '[REDACTED]' },
      body: { orderId: 'ORD-7' },
      resolvedAt: null,
    });
    expect(letter?.reasons).toEqual([
      reasons[0],
      { code: 'destination_422', message: 'rejected with [REDACTED]' },
    ]);
    expect(ledger.getDeadLetter(letter!.id)).toEqual(letter);
    expect(ledger.getDeadLetter(9999)).toBeUndefined();
  });

  it('filters by integration, state and resolution, newest first', async () => {
    const ledger = await ledgerAt();
    const run = ledger.startRun('a', '2025-01-01T00:00:00.000Z');
    const add = (integration: string, key: string, state: 'quarantined' | 'failed') =>
      ledger.addDeadLetter({
        integration,
        key,
        runId: run.id,
        state,
        record: { key },
        body: undefined,
        reasons: [],
      });
    await Promise.all([add('a', '1', 'quarantined'), add('a', '2', 'failed'), add('b', '3', 'failed')]);
    expect(ledger.listDeadLetters().map((l) => l.key)).toEqual(['3', '2', '1']);
    expect(ledger.listDeadLetters({ integration: 'a' }).map((l) => l.key)).toEqual(['2', '1']);
    expect(ledger.listDeadLetters({ state: 'failed' }).map((l) => l.key)).toEqual(['3', '2']);
    expect(ledger.listDeadLetters({ limit: 1 }).map((l) => l.key)).toEqual(['3']);
    // Paging on from the last letter read, with or without a filter, as dlq replay streams them.
    const [newest] = ledger.listDeadLetters({ limit: 1 });
    expect(ledger.listDeadLetters({ limit: 1, beforeId: newest!.id }).map((l) => l.key)).toEqual(['2']);
    expect(ledger.listDeadLetters({ integration: 'a', beforeId: newest!.id - 1 }).map((l) => l.key)).toEqual([
      '1',
    ]);
    const first = ledger.listDeadLetters({ integration: 'a', state: 'quarantined' })[0]!;
    expect(first.body).toBeNull();
    ledger.resolveDeadLetter(first.id, '2025-02-02T00:00:00Z');
    expect(ledger.listDeadLetters({ integration: 'a' }).map((l) => l.key)).toEqual(['2']);
    const all = ledger.listDeadLetters({ integration: 'a', includeResolved: true });
    expect(all.map((l) => [l.key, l.resolvedAt])).toEqual([
      ['2', null],
      ['1', '2025-02-02T00:00:00Z'],
    ]);
    expect(() => ledger.resolveDeadLetter(9999, '2025-02-02T00:00:00Z')).toThrow(
      /no dead letter with id 9999/,
    );
  });

  it('purges by integration or ids and counts what it deleted', async () => {
    const ledger = await ledgerAt();
    const run = ledger.startRun('a', '2025-01-01T00:00:00.000Z');
    const add = (integration: string, key: string) =>
      ledger.addDeadLetter({
        integration,
        key,
        runId: run.id,
        state: 'failed',
        record: null,
        body: null,
        reasons: [],
      });
    await Promise.all([add('a', '1'), add('a', '2'), add('a', '3'), add('b', '4')]);
    const ids = ledger.listDeadLetters({ integration: 'a' }).map((l) => l.id);
    expect(ledger.purgeDeadLetters({ ids: [ids[0]!, 424242] })).toBe(1);
    expect(ledger.purgeDeadLetters({ integration: 'b', ids })).toBe(0);
    expect(ledger.purgeDeadLetters({ integration: 'a' })).toBe(2);
    expect(ledger.listDeadLetters().map((l) => l.key)).toEqual(['4']);
    expect(() => ledger.purgeDeadLetters({})).toThrow(/integration or a list of ids/);
  });
});

describe('runs', () => {
  it('lists runs newest first, by integration and with a limit', async () => {
    const ledger = await ledgerAt();
    const a1 = ledger.startRun('a', '2025-01-01T00:00:00.000Z');
    const b1 = ledger.startRun('b', '2025-01-02T00:00:00.000Z');
    const a2 = ledger.startRun('a', '2025-01-03T00:00:00.000Z');
    expect(ledger.listRuns().map((r) => r.id)).toEqual([a2.id, b1.id, a1.id]);
    expect(ledger.listRuns({ integration: 'a' }).map((r) => r.id)).toEqual([a2.id, a1.id]);
    expect(ledger.listRuns({ limit: 1 }).map((r) => r.id)).toEqual([a2.id]);
  });

  it('finishes a run with its status, counts and report', async () => {
    const ledger = await ledgerAt();
    const run = ledger.startRun('a', '2025-01-01T00:00:00.000Z');
    expect(run.status).toBe('running');
    ledger.finishRun(run.id, 'completed_with_errors', { delivered: 9, quarantined: 1 }, { summary: 'ok' });
    expect(ledger.getRun(run.id)).toMatchObject({
      status: 'completed_with_errors',
      counts: { delivered: 9, quarantined: 1 },
      report: { summary: 'ok' },
    });
    expect(ledger.getRun(run.id)?.endedAt).not.toBeNull();
    expect(() => ledger.finishRun('nope', 'completed', {}, null)).toThrow(/no such run/);
  });

  it('marks runs left running by a dead process as crashed, and not its own', async () => {
    const crashedDir = dir;
    const earlier = await ledgerAt(crashedDir);
    const stale = earlier.startRun('a', '2025-01-01T00:00:00.000Z');
    const other = earlier.startRun('b', '2025-01-01T00:00:00.000Z');
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
    const current = ledger.startRun('a', '2025-01-05T00:00:00.000Z');
    expect(ledger.markCrashedRuns('a')).toEqual([stale.id]);
    expect(ledger.getRun(stale.id)?.status).toBe('crashed');
    expect(ledger.getRun(stale.id)?.endedAt).not.toBeNull();
    expect(ledger.getRun(current.id)?.status).toBe('running');
    expect(ledger.getRun(other.id)?.status).toBe('running');
    expect(ledger.markCrashedRuns('a')).toEqual([]);
  });

  it('leaves a run of a live process alone when it does not hold the lock', async () => {
    const ledger = await ledgerAt();
    const run = ledger.startRun('a', '2025-01-01T00:00:00.000Z');
    const reader = await ledgerAt();
    expect(reader.markCrashedRuns('a')).toEqual([]);
    expect(ledger.getRun(run.id)?.status).toBe('running');
  });
});

describe('the run lock', () => {
  it('lets one ledger per state directory start runs, and reads without the lock', async () => {
    const runner = await ledgerAt();
    runner.startRun('a', '2025-01-01T00:00:00.000Z');
    expect(runner.holdsRunLock).toBe(true);
    const second = await ledgerAt();
    let error: unknown;
    try {
      second.startRun('a', '2025-01-02T00:00:00.000Z');
    } catch (e) {
      error = e;
    }
    expect(hasErrorCode(error, 'FERRY_ERR_STATE_LOCKED')).toBe(true);
    expect(String(error)).toContain(`pid ${process.pid}`);
    expect(second.listRuns()).toHaveLength(1);
    await runner.close();
    second.acquireRunLock();
    expect(second.holdsRunLock).toBe(true);
  });

  it('refuses to start a run while the state directory is locked, naming the holder', async () => {
    const holder = createRunLock(join(dir, 'ferry.lock'));
    holder.acquire();
    try {
      const ledger = await ledgerAt();
      expect(() => ledger.startRun('a', '2025-01-01T00:00:00.000Z')).toThrow(`pid ${process.pid}`);
      expect(ledger.markCrashedRuns('a')).toEqual([]);
    } finally {
      holder.release();
    }
  });
});

describe('closing', () => {
  it('truncates the WAL, releases the lock and refuses further use', async () => {
    const ledger = await ledgerAt();
    const run = ledger.startRun('a', '2025-01-01T00:00:00.000Z');
    await ledger.update('a', run.id, [{ key: 'k', state: 'delivered' }]);
    await ledger.close();
    const wal = join(dir, 'ferry.db-wal');
    expect(!existsSync(wal) || statSync(wal).size === 0).toBe(true);
    expect(createRunLock(join(dir, 'ferry.lock')).isFree()).toBe(true);
    await expect(ledger.update('a', run.id, [{ key: 'k', state: 'failed' }])).rejects.toThrow(/closed/);
    expect(() => ledger.listRuns()).toThrow(/closed/);
    await ledger.close();
  });
});

describe('record history', () => {
  it('keeps every state a record took in each run, with attempts, reasons, body hash and its dead letters', async () => {
    const ledger = await ledgerAt();
    const first = ledger.startRun('i', '2025-01-01T00:00:00.000Z');
    ledger.updateNow('i', first.id, [{ key: 'c-1', state: 'in_flight', attempts: 1, bodyHash: 'h1' }]);
    await ledger.update('i', first.id, [{ key: 'c-1', state: 'failed', attempts: 3, lastError: 'HTTP 503' }]);
    await ledger.addDeadLetter({
      integration: 'i',
      key: 'c-1',
      runId: first.id,
      state: 'failed',
      record: { id: 1 },
      body: { orderId: 'ORD-1' },
      reasons: [{ code: 'destination_503', message: 'HTTP 503' }],
    });
    await ledger.update('i', first.id, [{ key: 'c-2', state: 'delivered', attempts: 1 }]);
    ledger.finishRun(first.id, 'completed_with_errors', {}, null);
    const second = ledger.startRun('i', '2025-01-02T00:00:00.000Z');
    ledger.updateNow('i', second.id, [{ key: 'c-1', state: 'in_flight', attempts: 4, bodyHash: 'h2' }]);
    await ledger.update('i', second.id, [{ key: 'c-1', state: 'delivered', attempts: 4, lastError: null }]);

    const [history, ...others] = ledger.recordHistory('c-1');
    expect(others).toEqual([]);
    expect(history?.integration).toBe('i');
    expect(history?.record).toMatchObject({ key: 'c-1', state: 'delivered', attempts: 4, bodyHash: 'h2' });
    expect(history?.changes.map(({ at: _, ...change }) => change)).toEqual([
      { runId: first.id, state: 'in_flight', attempts: 1, bodyHash: 'h1', reason: null },
      { runId: first.id, state: 'failed', attempts: 3, bodyHash: 'h1', reason: 'HTTP 503' },
      { runId: second.id, state: 'in_flight', attempts: 4, bodyHash: 'h2', reason: null },
      { runId: second.id, state: 'delivered', attempts: 4, bodyHash: 'h2', reason: null },
    ]);
    expect(history?.changes.every((c) => !Number.isNaN(Date.parse(c.at)))).toBe(true);
    expect(history?.deadLetters).toMatchObject([
      { runId: first.id, state: 'failed', body: { orderId: 'ORD-1' } },
    ]);
    expect(ledger.recordHistory('c-2')[0]?.changes).toHaveLength(1);
  });

  it('finds a key in each integration that has it, or only in the one asked for', async () => {
    const ledger = await ledgerAt();
    for (const integration of ['a', 'b']) {
      const run = ledger.startRun(integration, '2025-01-01T00:00:00.000Z');
      await ledger.update(integration, run.id, [{ key: 'k', state: 'delivered', attempts: 1 }]);
    }
    expect(ledger.recordHistory('k').map((h) => h.integration)).toEqual(['a', 'b']);
    expect(ledger.recordHistory('k', { integration: 'b' }).map((h) => h.integration)).toEqual(['b']);
    expect(ledger.recordHistory('missing')).toEqual([]);
  });

  it('upgrades a version-4 ledger: each existing record starts its history with its state then', async () => {
    writeVersion4Ledger(
      'completed',
      `('i', 'q', 'quarantined', 0, NULL, 'src:h', 'email is missing', 'r1', '2025-01-02T00:00:00.000Z'),
       ('i', 'd', 'delivered', 2, 't', 'h', 'HTTP 503 before it went through', 'r1', '2025-01-02T00:00:01.000Z')`,
    );
    const ledger = await ledgerAt();
    expect(ledger.recordHistory('q')[0]?.changes).toEqual([
      {
        runId: 'r1',
        state: 'quarantined',
        attempts: 0,
        bodyHash: 'src:h',
        reason: 'email is missing',
        at: '2025-01-02T00:00:00.000Z',
      },
    ]);
    expect(ledger.recordHistory('d')[0]?.changes).toEqual([
      {
        runId: 'r1',
        state: 'delivered',
        attempts: 2,
        bodyHash: 'h',
        reason: null,
        at: '2025-01-02T00:00:01.000Z',
      },
    ]);
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
