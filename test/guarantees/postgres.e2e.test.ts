/**
 * The exactly-once guarantees on a PostgreSQL ledger: a run killed with SIGKILL and rerun, and a run during
 * which the database restarts, against a destination that does not honour idempotency keys (every resend
 * would be a second order). A private cluster, since one test restarts it.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { expectedCustomers } from '../../src/mocks/index.ts';
import { runFerry, startFerry } from '../support/ferry-cli.ts';
import { type FlagshipMocks, startFlagshipMocks } from '../support/flagship-mocks.ts';
import {
  createTestDatabase,
  destroyPostgres,
  type PostgresTestServer,
  privatePostgres,
  startPostgres,
  stopPostgres,
} from '../support/postgres.ts';
import { auditOrders, parseReport } from './audit-orders.ts';
import { killDuringRun } from './kill-during-run.ts';

/** The flagship without an Idempotency-Key header: every resend is guarded by a GET lookup. */
const lookupOnlyConfig = fileURLToPath(
  new URL('./fixtures/customers-to-orders.lookup-only.yaml', import.meta.url),
);
const seed = 4321;
const count = 2000;

let server: PostgresTestServer;
beforeAll(async () => {
  server = await privatePostgres();
}, 120_000);
afterAll(() => destroyPostgres(server));

let mocks: FlagshipMocks | undefined;
afterEach(async () => {
  await mocks?.close();
  mocks = undefined;
});

async function startMocks(): Promise<FlagshipMocks> {
  return startFlagshipMocks({
    count,
    seed,
    perPage: 100,
    destinationFaults: { latencyMs: 10 },
    honourIdempotency: false,
    allowDuplicates: true,
  });
}

const args = (state: string) => ['run', lookupOnlyConfig, '--state', state, '--json', '--no-progress'];

function expectEveryOrderOnce(destination: FlagshipMocks): void {
  const audit = auditOrders(destination.destination.orders(), seed, count);
  expect(audit.missing).toEqual([]);
  expect(audit.duplicated).toEqual([]);
  expect(audit.unexpected).toEqual([]);
  expect(audit.stored).toBe(expectedCustomers(seed, count).distinctValidIds.length);
}

describe('a PostgreSQL ledger', () => {
  it('kill -9 twice mid-run, then rerun: no order missing, none duplicated', async () => {
    mocks = await startMocks();
    const database = await createTestDatabase('ferry_kill', server);
    const env = { ...mocks.env, PGPASSWORD: server.password };
    for (const afterOrders of [150, 700]) {
      const stored = () => mocks!.destination.orders().length;
      const killed = await killDuringRun({
        args: args(database.url),
        env,
        ordersStored: stored,
        afterOrders,
        signal: 'SIGKILL',
      });
      expect(killed.result.signal, killed.result.stderr).toBe('SIGKILL');
    }
    const final = await runFerry(args(database.url), { env });
    const report = parseReport(final.stdout, final.stderr);
    expect(report.counts.failed).toBe(0);
    // The server dropped each killed run's lock with its session: the rerun found both crashed.
    const runs = await runFerry(['runs', 'list', '--json', '--state', database.url], { env });
    const statuses = (JSON.parse(runs.stdout) as { status: string }[]).map((r) => r.status);
    expect(statuses).toEqual(['completed_with_errors', 'crashed', 'crashed']);
    expectEveryOrderOnce(mocks);
  }, 180_000);

  it('waits out a database restart mid-run and finishes that run: every order exactly once', async () => {
    mocks = await startMocks();
    const database = await createTestDatabase('ferry_restart_run', server);
    const env = { ...mocks.env, PGPASSWORD: server.password };
    const ferry = startFerry([...args(database.url), '--log-level', 'warn'], { env });
    // Stop the database once orders flow, and start it again once ferry says it is waiting for it.
    await new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (mocks!.destination.orders().length >= 300) {
          clearInterval(timer);
          resolve();
        }
      }, 1);
    });
    stopPostgres(server, 'immediate');
    await ferry.waitForStderr(/cannot be reached; waiting for it/, 30_000);
    startPostgres(server);
    const result = await ferry.done;
    const report = parseReport(result.stdout, result.stderr);
    expect(report.status, result.stderr).toBe('completed_with_errors');
    expect(report.counts.failed).toBe(0);
    expectEveryOrderOnce(mocks);
  }, 120_000);
});
