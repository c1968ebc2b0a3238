/**
 * Chaos on a cluster, bounded: `ferry run` reads the flagship while three `ferry worker` processes send its
 * pages to a destination that honours no Idempotency-Key (every resend would be a second order) and fails
 * now and then (5xx, acknowledgements lost after the order was stored). Each time another twelfth of the
 * orders has arrived, one worker is killed with SIGKILL and started again, and once, halfway, PostgreSQL
 * itself is stopped and started. Every order must arrive exactly once. A private cluster, since the test
 * restarts it.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectedCustomers } from '../../src/mocks/index.ts';
import { auditOrders, parseReport } from '../guarantees/audit-orders.ts';
import { type FerryProcess, startFerry } from '../support/ferry-cli.ts';
import { type FlagshipMocks, startFlagshipMocks } from '../support/flagship-mocks.ts';
import {
  createTestDatabase,
  destroyPostgres,
  type PostgresTestServer,
  privatePostgres,
  startPostgres,
  stopPostgres,
} from '../support/postgres.ts';
import { until } from '../support/until.ts';

const lookupOnlyConfig = fileURLToPath(
  new URL('../guarantees/fixtures/customers-to-orders.lookup-only.yaml', import.meta.url),
);
const seed = 777;
const count = 3000;
const kills = 8;

let server: PostgresTestServer;
let mocks: FlagshipMocks;
beforeAll(async () => {
  server = await privatePostgres();
  mocks = await startFlagshipMocks({
    count,
    seed,
    perPage: 50,
    destinationFaults: { latencyMs: 30, errorRate: 0.03, lostAckRate: 0.02 },
    honourIdempotency: false,
    allowDuplicates: true,
  });
}, 120_000);
afterAll(async () => {
  await mocks?.close();
  if (server) destroyPostgres(server);
});

describe('a cluster under chaos', () => {
  it('kill -9 a worker again and again and restart PostgreSQL once: every order exactly once', async () => {
    const database = await createTestDatabase('ferry_chaos', server);
    const env = { ...mocks.env, PGPASSWORD: server.password };
    const startWorker = () =>
      startFerry(
        ['worker', lookupOnlyConfig, '--state', database.url, '--concurrency', '4', '--log-format', 'json'],
        { env },
      );
    const workers: FerryProcess[] = [startWorker(), startWorker(), startWorker()];
    const everyWorker: FerryProcess[] = [...workers];
    await Promise.all(workers.map((worker) => worker.waitForStderr(/worker started/)));

    const run = startFerry(['run', lookupOnlyConfig, '--state', database.url, '--json', '--no-progress'], {
      env,
    });
    let ended = false;
    void run.done.then(() => {
      ended = true;
    });

    const stored = () => mocks.destination.orders().length;
    const expected = expectedCustomers(seed, count).distinctValidIds.length;
    let killed = 0;
    let restartedDatabase = false;
    // Driven by progress, not by the clock: whatever the machine's speed, the faults land mid-run.
    while (!ended && killed < kills) {
      const target = Math.floor((expected * (killed + 1)) / (kills + 2));
      await until(() => ended || stored() >= target);
      if (ended) break;
      const victim = killed % workers.length;
      workers[victim]!.kill('SIGKILL');
      await workers[victim]!.done;
      workers[victim] = startWorker();
      everyWorker.push(workers[victim]!);
      killed++;
      if (!restartedDatabase && killed === kills / 2) {
        restartedDatabase = true;
        stopPostgres(server, 'immediate');
        startPostgres(server);
      }
    }
    const result = await run.done;
    for (const worker of workers) worker.kill('SIGTERM');
    await Promise.all(workers.map((worker) => worker.done));

    // The faults landed while the run went on.
    expect(killed, result.stderr.slice(-3000)).toBe(kills);
    expect(restartedDatabase).toBe(true);
    const report = parseReport(result.stdout, result.stderr);
    expect(report.counts.read).toBe(count);
    expect(report.counts.failed).toBe(0);
    // Pages the killed workers held were taken over by others.
    const takeovers = everyWorker.filter((worker) => /taking over a page/.test(worker.stderr()));
    expect(takeovers.length).toBeGreaterThan(0);

    const audit = auditOrders(mocks.destination.orders(), seed, count);
    expect(audit.missing).toEqual([]);
    expect(audit.duplicated).toEqual([]);
    expect(audit.unexpected).toEqual([]);
    expect(audit.stored).toBe(expected);
  }, 240_000);
});
