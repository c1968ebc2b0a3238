import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  adminClient,
  createTestDatabase,
  destroyPostgres,
  type PostgresTestServer,
  postgresServer,
  postgresUrl,
  privatePostgres,
  startPostgres,
  stopPostgres,
  uniqueName,
  urlOf,
} from '../../test/support/postgres.ts';
import { hasErrorCode } from '../core/errors.ts';
import { openPostgresLedger, type PostgresLedger, type PostgresLedgerOptions } from './postgres-ledger.ts';
import { POSTGRES_SCHEMA_VERSION } from './postgres-migrations.ts';
import { createPostgresRunLocks } from './postgres-run-lock.ts';
import { BATCH_SIZE } from './postgres-writer.fixture.ts';

const writer = join(import.meta.dirname, 'postgres-writer.fixture.ts');

let database: Awaited<ReturnType<typeof createTestDatabase>>;
beforeAll(async () => {
  database = await createTestDatabase('ferry_pg_ledger');
});
afterAll(() => database.drop());

const opened: PostgresLedger[] = [];
afterEach(async () => {
  for (const ledger of opened.splice(0)) await ledger.close();
});

/** A fresh schema of the test database, and a function that opens ledgers on it. */
async function freshSchema(server: PostgresTestServer = postgresServer(), db = database.name) {
  const schema = uniqueName('s');
  const admin = await adminClient(db, server);
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const url = urlOf(server, db, { schema });
  return {
    schema,
    url,
    open: async (options: PostgresLedgerOptions = {}) => {
      const ledger = await openPostgresLedger({ connectionString: url, password: server.password }, options);
      opened.push(ledger);
      return ledger;
    },
  };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail('expected a rejection'),
    (error: unknown) => error,
  );
}

describe('the PostgreSQL run lock', () => {
  it('refuses a second run of an integration another process runs, naming that run', async () => {
    const { open } = await freshSchema();
    const first = await open();
    const run = await first.startRun('sync', '2025-01-01T00:00:00.000Z');
    const second = await open();
    const error = await rejection(second.startRun('sync', '2025-01-01T00:00:01.000Z'));
    expect(hasErrorCode(error, 'FERRY_ERR_STATE_LOCKED')).toBe(true);
    expect(String(error)).toContain(
      `integration sync is being run by another ferry process (run ${run.id}, pid ${process.pid}`,
    );
    // Another integration runs alongside.
    await expect(second.startRun('other', '2025-01-01T00:00:02.000Z')).resolves.toMatchObject({
      status: 'running',
    });
  });

  it('gives the lock back when its run finishes', async () => {
    const { open } = await freshSchema();
    const first = await open();
    const run = await first.startRun('sync', '2025-01-01T00:00:00.000Z');
    expect(first.holdsRunLock('sync')).toBe(true);
    await first.finishRun(run.id, 'completed', {}, null);
    expect(first.holdsRunLock('sync')).toBe(false);
    const second = await open();
    await expect(second.startRun('sync', '2025-01-02T00:00:00.000Z')).resolves.toMatchObject({
      status: 'running',
    });
  });
});

describe('fencing a run whose lock session was lost', () => {
  it('takes the lock back once when many writers find its session lost at the same moment', async () => {
    const { url } = await freshSchema();
    const withPassword = new URL(url);
    withPassword.password = encodeURIComponent(postgresServer().password);
    const locks = createPostgresRunLocks({ connectionString: withPassword.href }, 'the test ledger');
    try {
      expect(await locks.tryAcquire('i')).toBe(true);
      locks.markLost();
      // One new session for all of them: each opening its own would find the others holding the lock.
      await Promise.all([locks.verify(), locks.verify(), locks.verify()]);
      expect(locks.fence(['i']).locked).toEqual(['i']);
    } finally {
      await locks.close();
    }
  });

  it('refuses its writes once another process took the lock, in the transaction that would store them', async () => {
    const { open, schema } = await freshSchema();
    const first = await open();
    const run = await first.startRun('i', '2025-01-01T00:00:00.000Z');
    await first.updateNow('i', run.id, [{ key: 'a', state: 'in_flight', attempts: 1 }]);
    // The lock's session ends (a cut link, an administrator), without the process noticing yet.
    const admin = await adminClient(database.name);
    const holder = await admin.query(
      `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND objsubid = 1
         AND ((classid::bigint << 32) | objid::bigint) = hashtextextended($1, 0)`,
      [`ferry:run:${schema}:i`],
    );
    expect(holder.rows).toHaveLength(1);
    await admin.query('SELECT pg_terminate_backend($1, 5000)', [holder.rows[0].pid]);
    await admin.end();

    const second = await open();
    expect(await second.markCrashedRuns('i')).toEqual([run.id]);
    const takeover = await second.startRun('i', '2025-01-01T00:01:00.000Z');

    const refused = await rejection(
      first.update('i', run.id, [{ key: 'a', state: 'delivered', attempts: 1 }]),
    );
    expect(hasErrorCode(refused, 'FERRY_ERR_STATE_LOCKED')).toBe(true);
    expect(String(refused)).toContain('the run lock of integration i');
    expect(
      hasErrorCode(await rejection(first.saveCheckpoint('i', { page: 2 }, run.id)), 'FERRY_ERR_STATE_LOCKED'),
    ).toBe(true);
    expect((await second.getRecords('i', ['a'])).get('a')?.state).toBe('in_flight');
    expect(await second.getCheckpoint('i')).toBeNull();
    await second.finishRun(takeover.id, 'completed', {}, null);
  });

  it('takes the lock back and writes when nobody took it meanwhile', async () => {
    const { open, schema } = await freshSchema();
    const ledger = await open();
    const run = await ledger.startRun('i', '2025-01-01T00:00:00.000Z');
    const admin = await adminClient(database.name);
    await admin.query(
      `SELECT pg_terminate_backend(pid, 5000) FROM pg_locks WHERE locktype = 'advisory' AND granted
         AND objsubid = 1 AND ((classid::bigint << 32) | objid::bigint) = hashtextextended($1, 0)`,
      [`ferry:run:${schema}:i`],
    );
    await admin.end();
    await ledger.update('i', run.id, [{ key: 'a', state: 'delivered', attempts: 1 }]);
    await ledger.saveCheckpoint('i', { page: 2 }, run.id);
    expect((await ledger.getRecords('i', ['a'])).get('a')?.state).toBe('delivered');
    const other = await open();
    expect(
      hasErrorCode(
        await rejection(other.startRun('i', '2025-01-02T00:00:00.000Z')),
        'FERRY_ERR_STATE_LOCKED',
      ),
    ).toBe(true);
  });
});

/** Runs the writer until it has acknowledged `killAfter` batches, then SIGKILLs it mid-stream. */
function runAndKill(url: string, killAfter: number): Promise<{ runId: string; lastAck: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [writer, url], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH ?? '', PGPASSWORD: postgresServer().password },
    });
    let runId = '';
    let lastAck = -1;
    let buffered = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        const [word, value] = line.split(' ');
        if (word === 'run') runId = value!;
        if (word === 'ack') lastAck = Number(value);
      }
      if (lastAck >= killAfter && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    child.on('close', (code, signal) => {
      if (signal === 'SIGKILL') resolve({ runId, lastAck });
      else reject(new Error(`writer exited with ${code} before it was killed: ${stderr}`));
    });
  });
}

describe('a writer killed with SIGKILL mid-stream', () => {
  it('leaves every acknowledged batch whole, and its run lock to the next process, which finds it crashed', async () => {
    const { url, open } = await freshSchema();
    for (const killAfter of [3, 30]) {
      const { runId, lastAck } = await runAndKill(url, killAfter);
      const ledger = await open();
      // The server dropped the dead session's lock: no waiting, no judging whether a pid looks alive.
      expect(await ledger.markCrashedRuns('crash')).toEqual([runId]);
      const next = await ledger.startRun('crash', new Date().toISOString());
      expect(next.status).toBe('running');

      const counter = (await ledger.getRecords('crash', ['counter'])).get('counter')!;
      const committed = counter.attempts;
      expect(committed === lastAck || committed === lastAck + 1).toBe(true);
      const keys: string[] = [];
      for (let batch = 0; batch <= committed + 1; batch++) {
        for (let i = 0; i < BATCH_SIZE; i++) keys.push(`b${batch}-r${i}`);
      }
      const rows = await ledger.getRecords('crash', keys);
      for (let batch = 0; batch <= committed + 1; batch++) {
        const present = Array.from({ length: BATCH_SIZE }, (_, i) => rows.get(`b${batch}-r${i}`)).filter(
          (row) => row?.runId === runId,
        );
        expect(present.length).toBe(batch <= committed ? BATCH_SIZE : 0);
      }
      const letters = (await ledger.listDeadLetters({ integration: 'crash', limit: 10_000 })).filter(
        (l) => l.runId === runId,
      );
      expect(letters).toHaveLength(committed + 1);
      await ledger.finishRun(next.id, 'completed', {}, null);
      await ledger.close();
    }
  });
});

describe('opening', () => {
  it('migrates once when several processes open a new ledger at the same moment', async () => {
    const { open, schema } = await freshSchema();
    const ledgers = await Promise.all([open(), open(), open(), open()]);
    expect(ledgers.filter((l) => l.created)).toHaveLength(1);
    const admin = await adminClient(database.name);
    const version = await admin.query(`SELECT version FROM ${schema}.ferry_schema`);
    await admin.end();
    expect(version.rows).toEqual([{ version: POSTGRES_SCHEMA_VERSION }]);
  });

  it('refuses a ledger written by a newer ferry', async () => {
    const { open, schema } = await freshSchema();
    await (await open()).close();
    const admin = await adminClient(database.name);
    await admin.query(`UPDATE ${schema}.ferry_schema SET version = 999`);
    await admin.end();
    const error = await rejection(open());
    expect(hasErrorCode(error, 'FERRY_ERR_STATE')).toBe(true);
    expect(String(error)).toContain('has schema version 999, newer than this ferry understands');
  });

  it('says so when the schema of its search_path does not exist', async () => {
    const url = postgresUrl(database.name, { schema: 'no_such_schema' });
    const error = await rejection(
      openPostgresLedger({ connectionString: url, password: postgresServer().password }),
    );
    expect(hasErrorCode(error, 'FERRY_ERR_STATE_UNUSABLE')).toBe(true);
    expect(String(error)).toContain('none of the schemas of its search_path exists');
  });

  it('creates nothing when it must find a ledger and there is none', async () => {
    const { open, schema } = await freshSchema();
    const error = await rejection(open({ mustExist: true }));
    expect(hasErrorCode(error, 'FERRY_ERR_STATE_NOT_FOUND')).toBe(true);
    const admin = await adminClient(database.name);
    const tables = await admin.query('SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = $1', [
      schema,
    ]);
    await admin.end();
    expect(tables.rows[0].n).toBe(0);
  });
});

describe('writing', () => {
  it('applies a batch once when it is sent again after its commit went unanswered', async () => {
    const { open, schema } = await freshSchema();
    const ledger = await open();
    const run = await ledger.startRun('i', '2025-01-01T00:00:00.000Z');
    const admin = await adminClient(database.name);
    const batch = [
      '00000000-0000-4000-8000-000000000001',
      '2025-01-01T00:00:01.000Z',
      JSON.stringify([{ i: 'i', r: run.id, k: 'a', s: 'delivered', a: 1, es: false, rfs: false }]),
      JSON.stringify([{ i: 'i', k: 'a', r: run.id, s: 'failed', rec: {}, body: null, reasons: [] }]),
      [run.id],
      null,
      null,
      null,
    ];
    const call = `SELECT ${schema}.ferry_write_batch($1, $2, $3, $4, $5, $6, $7, $8) AS applied`;
    expect((await admin.query(call, batch)).rows[0].applied).toBe(true);
    expect((await admin.query(call, batch)).rows[0].applied).toBe(false);
    await admin.end();
    expect(await ledger.countDeadLetters()).toBe(1);
    expect((await ledger.recordHistory('a'))[0]?.changes).toHaveLength(1);
  });

  it('keeps a NUL character a peer put in an error message, which PostgreSQL text cannot hold', async () => {
    const { open } = await freshSchema();
    const ledger = await open();
    const run = await ledger.startRun('i', '2025-01-01T00:00:00.000Z');
    await ledger.update('i', run.id, [{ key: 'a', state: 'failed', lastError: 'bad\u0000byte' }]);
    expect((await ledger.getRecords('i', ['a'])).get('a')?.lastError).toBe('bad\\0byte');
  });
});

describe('a server restart', () => {
  let server: PostgresTestServer;
  let db: Awaited<ReturnType<typeof createTestDatabase>>;
  beforeAll(async () => {
    server = await privatePostgres();
    db = await createTestDatabase('ferry_restart', server);
  }, 120_000);
  afterAll(() => destroyPostgres(server));

  it('is waited out: writes and reads go on, and the run keeps its lock', async () => {
    const { open } = await freshSchema(server, db.name);
    const reconnects: string[] = [];
    // The server comes back when the ledger first finds it gone: no guessing how long a write waits.
    const ledger = await open({
      onReconnecting: ({ what }) => {
        if (reconnects.push(what) === 1) startPostgres(server);
      },
    });
    const run = await ledger.startRun('i', '2025-01-01T00:00:00.000Z');
    await ledger.updateNow('i', run.id, [{ key: 'before', state: 'in_flight', attempts: 1 }]);

    stopPostgres(server, 'immediate');
    await ledger.update('i', run.id, [{ key: 'during', state: 'delivered', attempts: 1 }]);
    expect(reconnects.length).toBeGreaterThan(0);
    const rows = await ledger.getRecords('i', ['before', 'during']);
    expect([...rows.values()].map((r) => r.state).sort()).toEqual(['delivered', 'in_flight']);

    // The lock session died with the server; the ledger took the lock again before writing.
    const other = await open();
    expect(
      hasErrorCode(
        await rejection(other.startRun('i', '2025-01-02T00:00:00.000Z')),
        'FERRY_ERR_STATE_LOCKED',
      ),
    ).toBe(true);
    await ledger.finishRun(run.id, 'completed', {}, null);
  });

  it('fails with FERRY_ERR_STATE_UNREACHABLE once the server stayed away past the timeout', async () => {
    const { open } = await freshSchema(server, db.name);
    const ledger = await open({ reconnectTimeoutMs: 300 });
    stopPostgres(server, 'fast');
    try {
      const error = await rejection(ledger.listRuns());
      expect(hasErrorCode(error, 'FERRY_ERR_STATE_UNREACHABLE')).toBe(true);
      expect(String(error)).toContain('PostgreSQL cannot be reached');
    } finally {
      startPostgres(server);
    }
  });
});
