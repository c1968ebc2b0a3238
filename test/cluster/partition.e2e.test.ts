/**
 * A worker cut off from PostgreSQL mid-page, and back after its lease ran out, must send nothing of what
 * another worker took over. Worker A runs in a network namespace of its own (`ip netns`, veth pairs), with
 * one link to the database and one to the APIs; worker B and the reader run on the host. A sends one record
 * at a time to a destination that answers slowly and honours no Idempotency-Key, so when its database link
 * goes down it still holds a chunk of records it marked in flight and has not sent. Its own lease clock must
 * stop it before B takes its pages over, and once the link is back its late writes must be refused: every
 * order exactly once.
 *
 * Only the database link is cut. A request already on the wire when an API link goes down is resent by TCP
 * when the link comes back, whatever ferry does: only the destination can fence that, with an idempotency key
 * (which the flagship sends). Needs root (the tests run as root in CI).
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectedCustomers } from '../../src/mocks/index.ts';
import { auditOrders, parseReport } from '../guarantees/audit-orders.ts';
import { type FerryProcess, startFerry } from '../support/ferry-cli.ts';
import { type FlagshipMocks, startFlagshipMocks } from '../support/flagship-mocks.ts';
import { createNamespace, type TestNamespace } from '../support/netns.ts';
import {
  adminClient,
  createTestDatabase,
  destroyPostgres,
  type PostgresTestServer,
  privatePostgres,
  urlOf,
} from '../support/postgres.ts';
import { until } from '../support/until.ts';

const config = fileURLToPath(new URL('./fixtures/customers-to-orders.partition.yaml', import.meta.url));
const seed = 31;
const count = 400;

let namespace: TestNamespace;
let server: PostgresTestServer;
let mocks: FlagshipMocks;
const processes: FerryProcess[] = [];
beforeAll(async () => {
  namespace = createNamespace();
  server = await privatePostgres({ alsoListen: [namespace.databaseHost] });
  mocks = await startFlagshipMocks({
    host: namespace.apiHost,
    count,
    seed,
    perPage: 50,
    destinationFaults: { latencyMs: 250 },
    honourIdempotency: false,
    allowDuplicates: true,
  });
}, 120_000);
afterAll(async () => {
  for (const ferry of processes) ferry.kill('SIGKILL');
  await Promise.all(processes.map((ferry) => ferry.done));
  await mocks?.close();
  if (server) destroyPostgres(server);
  namespace?.destroy();
});

/** Lines of a JSON log with this message. */
function logged(ferry: FerryProcess, msg: RegExp): number {
  return ferry
    .stderr()
    .split('\n')
    .filter((line) => line.startsWith('{') && msg.test((JSON.parse(line) as { msg?: string }).msg ?? ''))
    .length;
}

describe('a worker cut off from PostgreSQL', () => {
  it('sends nothing of its pages once they may be taken over, and its late writes are refused', async () => {
    const database = await createTestDatabase('ferry_partition', server);
    const fromHost = database.url;
    const fromNamespace = urlOf({ ...server, host: namespace.databaseHost }, database.name);
    const env = { ...mocks.env, PGPASSWORD: server.password };
    const worker = (url: string, concurrency: number, prefix?: readonly string[]) => {
      const ferry = startFerry(
        ['worker', config, '--state', url, '--concurrency', String(concurrency), '--log-format', 'json'],
        { env, ...(prefix ? { prefix } : {}) },
      );
      processes.push(ferry);
      return ferry;
    };

    const a = worker(fromNamespace, 1, namespace.exec);
    await a.waitForStderr(/worker started/);
    const run = startFerry(['run', config, '--state', fromHost, '--json', '--no-progress'], { env });
    processes.push(run);

    // A is sending its first chunk, one record at a time: cut its database link.
    await until(() => mocks.destination.orders().length >= 3);
    namespace.cutDatabase();
    const b = worker(fromHost, 8);
    await b.waitForStderr(/worker started/);
    // B takes A's pages over once their leases ran out, and the run ends, while A is still cut off: had A
    // gone on sending the records it marked, B would have sent them too.
    await b.waitForStderr(/taking over a page/, 60_000);
    const result = await run.done;
    const stored = mocks.destination.orders().length;
    namespace.restoreDatabase();
    await a.waitForStderr(/lost the lease/, 90_000);
    // Back, A sends nothing, and what it meant to write about its pages is refused: none stays in flight.
    expect(mocks.destination.orders().length).toBe(stored);
    const admin = await adminClient(database.name, server);
    const inFlight = await admin.query(`SELECT count(*)::int AS n FROM records WHERE state = 'in_flight'`);
    await admin.end();
    expect(inFlight.rows[0].n).toBe(0);

    const report = parseReport(result.stdout, result.stderr);
    expect(report.counts.read).toBe(count);
    expect(report.counts.failed).toBe(0);
    const audit = auditOrders(mocks.destination.orders(), seed, count);
    expect(audit.duplicated).toEqual([]);
    expect(audit.missing).toEqual([]);
    expect(audit.stored).toBe(expectedCustomers(seed, count).distinctValidIds.length);
    // A stopped by its own clock, and what it tried to write once back was refused.
    expect(logged(a, /lost the lease/)).toBeGreaterThan(0);
    expect(logged(b, /taking over a page/)).toBeGreaterThan(0);
  }, 180_000);
});
