import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectedCustomers } from '../src/mocks/index.ts';
import { flagshipConfig, runFerry } from './support/ferry-cli.ts';
import { type FlagshipMocks, startFlagshipMocks } from './support/flagship-mocks.ts';
import { adminClient, createTestDatabase, postgresServer } from './support/postgres.ts';
import { tempDirs } from './support/temp-dirs.ts';

const COUNT = 120;
const SEED = 7;
const dirs = tempDirs('ferry-pg-e2e-');
afterAll(() => dirs.removeAll());

describe('ferry run, dlq, runs and records on a PostgreSQL ledger', () => {
  const expected = expectedCustomers(SEED, COUNT);
  let mocks: FlagshipMocks;
  let database: Awaited<ReturnType<typeof createTestDatabase>>;
  let env: Record<string, string>;
  const outputs: string[] = [];

  beforeAll(async () => {
    mocks = await startFlagshipMocks({ count: COUNT, seed: SEED, perPage: 25 });
    database = await createTestDatabase('ferry_e2e');
    env = { ...mocks.env, PGPASSWORD: postgresServer().password };
  });
  afterAll(async () => {
    await mocks.close();
    await database.drop();
  });

  async function ferry(args: string[], extraEnv: Record<string, string> = {}) {
    const result = await runFerry(args, { env: { ...env, ...extraEnv } });
    outputs.push(result.stdout, result.stderr);
    return result;
  }

  const posts = () =>
    Object.values(mocks.destination.stats().requests['POST /api/v2/orders'] ?? {}).reduce((a, b) => a + b, 0);

  it('delivers every valid customer once, with the report naming the database without its password', async () => {
    const report = join(await dirs.make(), 'report.json');
    const result = await ferry([
      'run',
      flagshipConfig,
      '--state',
      database.url,
      '--report',
      report,
      '--no-progress',
    ]);
    expect(result.code, result.stderr).toBe(1);
    const written = JSON.parse(await readFile(report, 'utf8'));
    expect(written.counts).toMatchObject({
      read: COUNT,
      delivered: expected.distinctValidIds.length,
      quarantined: expected.quarantined,
      failed: 0,
    });
    expect(written.ledger).toEqual({
      path: database.url,
      chosenBy: '--state',
      new: true,
      note: `no ledger found at ${database.url}: starting a new one`,
    });
    const ids = mocks.destination.orders().map((order) => order.orderId);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toHaveLength(expected.distinctValidIds.length);
  });

  it('a rerun from FERRY_STATE skips everything delivered and sends nothing', async () => {
    const before = posts();
    const result = await ferry(['run', flagshipConfig, '--json', '--no-progress'], {
      FERRY_STATE: database.url,
    });
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.counts.delivered).toBe(0);
    expect(report.ledger).toEqual({ path: database.url, chosenBy: 'FERRY_STATE', new: false });
    expect(posts()).toBe(before);
  });

  it('lists the runs, the dead letters and one record history from the same database', async () => {
    const runs = await ferry(['runs', 'list', '--state', database.url, '--json']);
    expect(runs.code, runs.stderr).toBe(0);
    expect(JSON.parse(runs.stdout).map((r: { status: string }) => r.status)).toEqual([
      'completed_with_errors',
      'completed_with_errors',
    ]);
    const letters = await ferry(['dlq', 'list', '--state', database.url, '--json', '--limit', '1000']);
    expect(letters.code, letters.stderr).toBe(0);
    const parsed = JSON.parse(letters.stdout) as { id: number; key: string }[];
    expect(parsed).toHaveLength(expected.quarantined);
    const shown = await ferry(['dlq', 'show', String(parsed[0]!.id), '--state', database.url]);
    expect(shown.stdout).toContain(`dead letter ${parsed[0]!.id}: quarantined record ${parsed[0]!.key}`);
    const record = await ferry(['records', 'show', parsed[0]!.key, '--state', database.url, '--json']);
    expect(record.code, record.stderr).toBe(0);
    expect(JSON.parse(record.stdout)[0].state).toBe('quarantined');
  });

  it('replays the dead letters from the database: still invalid, nothing sent', async () => {
    const before = posts();
    const result = await ferry(['dlq', 'replay', flagshipConfig, '--state', database.url]);
    expect(result.stderr).toContain(
      `replayed ${expected.quarantined} dead letters: 0 delivered, 0 already delivered, ${expected.quarantined} still invalid`,
    );
    expect(posts()).toBe(before);
  });

  it('never prints the password, in any output of any command', () => {
    const password = postgresServer().password;
    for (const output of outputs) expect(output).not.toContain(password);
  });

  it('says a wrong password is refused, with exit 2 and no password shown', async () => {
    const result = await ferry(['runs', 'list', '--state', database.url], { PGPASSWORD: 'not-the-password' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('[FERRY_ERR_STATE_AUTH]');
    expect(result.stderr).toContain('password authentication failed');
    expect(result.stderr).not.toContain('not-the-password');
  });

  it('read-only commands report a database without a ledger and create no tables there', async () => {
    const empty = await createTestDatabase('ferry_empty');
    try {
      for (const args of [
        ['runs', 'list'],
        ['dlq', 'list'],
        ['records', 'show', 'k'],
      ]) {
        const result = await ferry([...args, '--state', empty.url]);
        expect(result.code, args.join(' ')).toBe(2);
        expect(result.stderr).toContain(`no ledger at ${empty.url}`);
      }
      const admin = await adminClient(empty.name);
      const tables = await admin.query(
        `SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'`,
      );
      await admin.end();
      expect(tables.rows[0].n).toBe(0);
    } finally {
      await empty.drop();
    }
  });

  it('says an unreachable server is unreachable, naming it, with exit 3', async () => {
    const server = postgresServer();
    // Port 1: nothing listens there, the connection is refused at once.
    const url = `postgres://${server.user}@127.0.0.1:1/none`;
    const result = await ferry(['dlq', 'list', '--state', url]);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('postgres://ferry@127.0.0.1:1/none');
    expect(result.stderr).toContain('[FERRY_ERR_STATE_UNREACHABLE]');
  });
});
