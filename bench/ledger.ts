/**
 * The ledgers side by side (not a test): `npx node bench/ledger.ts [records]`. Runs the engine's write
 * patterns through the SQLite ledger and through the PostgreSQL one (a throwaway local cluster, as the tests
 * start: Debian's binaries, fsync off, so the figures show ferry's cost, not the disk's) and prints record
 * updates per second for each. docs/scaling.md has the figures and how they were read.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { Ledger } from '../src/core/ledger-types.ts';
import { openPostgresLedger } from '../src/state/postgres-ledger.ts';
import { openSqliteLedger } from '../src/state/sqlite-ledger.ts';
import { createPostgres, destroyPostgres } from '../test/support/postgres-cluster.ts';

const records = Number(process.argv[2] ?? 20_000);

type Body = (ledger: Ledger, runId: string) => Promise<number>;

/** Each worker moves its records through in_flight (durable before a send) then delivered, as the engine does. */
function workers(count: number): Body {
  return async (ledger, runId) => {
    let next = 0;
    const firstMappedAt = new Date().toISOString();
    async function worker(): Promise<void> {
      while (next < records) {
        const key = `customer-${next++}`;
        await ledger.updateNow('bench', runId, [{ key, state: 'in_flight', attempts: 1, firstMappedAt }]);
        await ledger.update('bench', runId, [
          { key, state: 'delivered', bodyHash: 'abc123', lastError: null },
        ]);
      }
    }
    await Promise.all(Array.from({ length: count }, () => worker()));
    return records * 2;
  };
}

/** Pages of 100: a lookup of the page's keys, one in-flight mark for the page, then final states per record. */
const pages: Body = async (ledger, runId) => {
  for (let i = 0; i < records; i += 100) {
    const keys = Array.from({ length: 100 }, (_, j) => `customer-${i + j}`);
    await ledger.getRecords('bench', keys);
    await ledger.updateNow(
      'bench',
      runId,
      keys.map((key) => ({ key, state: 'in_flight' as const, attempts: 1 })),
    );
    await Promise.all(keys.map((key) => ledger.update('bench', runId, [{ key, state: 'delivered' }])));
  }
  return records * 2;
};

const scenarios: [string, Body][] = [
  ['pages of 100: lookup, marks, final states', pages],
  ['16 workers, mark then final state per record', workers(16)],
  ['64 workers, mark then final state per record', workers(64)],
];

async function measure(
  name: string,
  open: () => Promise<Ledger & { close(): Promise<void> }>,
): Promise<void> {
  for (const [scenario, body] of scenarios) {
    const ledger = await open();
    const run = await ledger.startRun('bench', new Date().toISOString());
    const started = performance.now();
    const updates = await body(ledger, run.id);
    const seconds = (performance.now() - started) / 1000;
    await ledger.finishRun(run.id, 'completed', {}, null);
    await ledger.close();
    console.log(
      `${name.padEnd(11)} ${scenario.padEnd(48)} ${Math.round(updates / seconds)
        .toLocaleString('en-US')
        .padStart(9)} updates/s (${updates} in ${seconds.toFixed(2)} s)`,
    );
  }
}

const dir = await mkdtemp(join(tmpdir(), 'ferry-bench-ledger-'));
let n = 0;
try {
  await measure('SQLite', () => openSqliteLedger(join(dir, `state-${n++}`)));
} finally {
  await rm(dir, { recursive: true, force: true });
}

const server = await createPostgres();
try {
  const admin = new pg.Client({ ...server, database: 'postgres' });
  await admin.connect();
  await admin.query('CREATE DATABASE bench');
  await admin.end();
  let schema = 0;
  await measure('PostgreSQL', async () => {
    const name = `bench_${schema++}`;
    const client = new pg.Client({ ...server, database: 'bench' });
    await client.connect();
    await client.query(`CREATE SCHEMA ${name}`);
    await client.end();
    const url = `postgres://${server.user}@${server.host}:${server.port}/bench?options=-c%20search_path%3D${name}`;
    return openPostgresLedger({ connectionString: url, password: server.password });
  });
} finally {
  destroyPostgres(server);
}
