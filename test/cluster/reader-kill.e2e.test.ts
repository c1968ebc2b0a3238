/**
 * The reader of a cluster run killed mid-run: `ferry run` on a PostgreSQL ledger reads the flagship while two
 * `ferry worker` processes send its pages to a destination that honours no Idempotency-Key (a resend would
 * be a second order). Once a third of the orders arrived the reader gets SIGKILL and is started again at
 * once, as a supervisor would: the rerun must not be refused by the dead reader's lock, and every order
 * arrives exactly once.
 */
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { expectedCustomers } from '../../src/mocks/index.ts';
import { auditOrders, parseReport } from '../guarantees/audit-orders.ts';
import { type FerryProcess, runFerry, startFerry } from '../support/ferry-cli.ts';
import { type FlagshipMocks, startFlagshipMocks } from '../support/flagship-mocks.ts';
import { createTestDatabase, postgresServer } from '../support/postgres.ts';
import { until } from '../support/until.ts';

const lookupOnlyConfig = fileURLToPath(
  new URL('../guarantees/fixtures/customers-to-orders.lookup-only.yaml', import.meta.url),
);
const seed = 4242;
const count = 1500;

let mocks: FlagshipMocks | undefined;
const processes: FerryProcess[] = [];
afterEach(async () => {
  for (const child of processes.splice(0)) {
    child.kill('SIGKILL');
    await child.done;
  }
  await mocks?.close();
  mocks = undefined;
});

describe('a cluster whose reader dies', () => {
  it('kill -9 the reader mid-run and start it again at once: the workers finish, every order exactly once', async () => {
    mocks = await startFlagshipMocks({
      count,
      seed,
      perPage: 50,
      destinationFaults: { latencyMs: 20 },
      honourIdempotency: false,
      allowDuplicates: true,
    });
    const database = await createTestDatabase('ferry_reader_kill');
    const env = { ...mocks.env, PGPASSWORD: postgresServer().password };
    for (let i = 0; i < 2; i++) {
      const worker = startFerry(
        ['worker', lookupOnlyConfig, '--state', database.url, '--concurrency', '4', '--log-format', 'json'],
        { env },
      );
      processes.push(worker);
      await worker.waitForStderr(/worker started/);
    }
    const runArgs = ['run', lookupOnlyConfig, '--state', database.url, '--json', '--no-progress'];
    const reader = startFerry(runArgs, { env });
    processes.push(reader);
    const expected = expectedCustomers(seed, count).distinctValidIds.length;
    let ended = false;
    void reader.done.then(() => {
      ended = true;
    });
    // Driven by progress, not by the clock: whatever the machine's speed, the kill lands mid-run.
    await until(() => ended || mocks!.destination.orders().length >= expected / 3);
    expect(ended, reader.stderr().slice(-3000)).toBe(false);
    reader.kill('SIGKILL');
    const killed = await reader.done;
    expect(killed.signal).toBe('SIGKILL');
    const storedAtKill = mocks.destination.orders().length;
    expect(storedAtKill).toBeLessThan(expected);

    const rerun = await runFerry(runArgs, { env });
    // 0 or 1 (records quarantined anew): neither 2 (refused by the dead reader's lock) nor 3 (aborted).
    expect(rerun.code, rerun.stderr.slice(-3000)).toBeLessThanOrEqual(1);
    const report = parseReport(rerun.stdout, rerun.stderr);
    expect(report.counts.failed).toBe(0);

    const audit = auditOrders(mocks.destination.orders(), seed, count);
    expect(audit.missing).toEqual([]);
    expect(audit.duplicated).toEqual([]);
    expect(audit.unexpected).toEqual([]);
    expect(audit.stored).toBe(expected);
  }, 180_000);
});
