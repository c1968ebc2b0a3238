import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  adminClient,
  createTestDatabase,
  postgresServer,
  uniqueName,
  urlOf,
} from '../../test/support/postgres.ts';
import { hasErrorCode } from '../core/errors.ts';
import type { PageToSend } from '../core/page-types.ts';
import { openPostgresLedger, type PostgresLedger } from './postgres-ledger.ts';
import { openPostgresCluster, type PostgresCluster } from './postgres-page-queue.ts';

let database: Awaited<ReturnType<typeof createTestDatabase>>;
beforeAll(async () => {
  database = await createTestDatabase('ferry_pages');
});
afterAll(() => database.drop());

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A ledger and its queue in a fresh schema. */
async function open(): Promise<{ ledger: PostgresLedger; cluster: PostgresCluster; schema: string }> {
  const schema = uniqueName('s');
  const admin = await adminClient(database.name);
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const server = postgresServer();
  const ledger = await openPostgresLedger({
    connectionString: urlOf(server, database.name, { schema }),
    password: server.password,
  });
  closers.push(() => ledger.close());
  const cluster = await openPostgresCluster(ledger);
  closers.push(() => cluster.close());
  return { ledger, cluster, schema };
}

const page = (pageNo: number, keys: string[]): PageToSend => ({
  pageNo,
  records: keys.map((key) => ({ record: { id: key }, key, hasKey: true })),
  next: { page: pageNo + 1 },
  lookupUnknown: false,
  comparesRepeats: false,
});

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => expect.fail('expected a rejection'),
    (error: unknown) => error,
  );
}

describe('the work queue beside a PostgreSQL ledger', () => {
  it('gives a page to one worker at a time, and refuses the writes of an attempt that lost it', async () => {
    const { ledger, cluster } = await open();
    const run = await ledger.startRun('sync', '2025-01-01T00:00:00.000Z');
    const queue = cluster.queueName('sync', 'f1');
    const pages = cluster.forRun('sync', run.id, queue);
    await pages.enqueue(page(1, ['a', 'b']));

    const first = await cluster.take(queue);
    expect(first?.records.map((r) => r.key)).toEqual(['a', 'b']);
    expect(first?.lease.attempt).toBe(0);
    // Taken: nobody else gets it.
    expect(await cluster.take(queue)).toBeNull();
    const firstView = ledger.forLease(first!.lease);
    await firstView.updateNow('sync', run.id, [{ key: 'a', state: 'in_flight', attempts: 1 }]);

    // The page goes to another attempt (as when its heartbeat stops): the first one's writes are refused.
    await cluster.release(first!);
    const second = await cluster.take(queue);
    expect(second?.lease.attempt).toBe(1);
    const late = await rejection(firstView.updateNow('sync', run.id, [{ key: 'b', state: 'in_flight' }]));
    expect(hasErrorCode(late, 'FERRY_ERR_LEASE_LOST')).toBe(true);
    expect(await cluster.renew(first!.lease)).toBe(false);
    expect(await cluster.settle(first!, [], null)).toBe(false);
    expect((await ledger.getRecords('sync', ['b'])).has('b')).toBe(false);

    // The second attempt sees what the first one wrote, writes, and settles the page.
    expect((await ledger.getRecords('sync', ['a'])).get('a')?.state).toBe('in_flight');
    const secondView = ledger.forLease(second!.lease);
    await secondView.update('sync', run.id, [
      { key: 'a', state: 'delivered' },
      { key: 'b', state: 'delivered' },
    ]);
    await secondView.flush();
    expect(await cluster.renew(second!.lease)).toBe(true);
    const outcomes = [
      { key: 'a', state: 'delivered' as const },
      { key: 'b', state: 'delivered' as const },
    ];
    expect(await cluster.settle(second!, outcomes, null)).toBe(true);
    expect(await pages.finished()).toEqual([{ pageNo: 1, status: 'settled', outcomes, retryFrom: null }]);
    // Reported once.
    expect(await pages.finished()).toEqual([]);
  });

  it('retires the pages of an earlier run: their leases are cancelled and their writes refused', async () => {
    const { ledger, cluster } = await open();
    const queue = cluster.queueName('sync', 'f1');
    const earlier = await ledger.startRun('sync', '2025-01-01T00:00:00.000Z');
    const earlierPages = cluster.forRun('sync', earlier.id, queue);
    await earlierPages.enqueue(page(1, ['a']));
    await earlierPages.enqueue(page(2, ['b']));
    const held = await cluster.take(queue);
    expect(held?.pageNo).toBe(1);
    await ledger.finishRun(earlier.id, 'interrupted', {}, null);

    const later = await ledger.startRun('sync', '2025-01-01T00:01:00.000Z');
    await cluster.forRun('sync', later.id, queue).retireEarlierPages();
    const view = ledger.forLease(held!.lease);
    const refused = await rejection(view.updateNow('sync', earlier.id, [{ key: 'a', state: 'in_flight' }]));
    expect(hasErrorCode(refused, 'FERRY_ERR_LEASE_LOST')).toBe(true);
    // The page nobody held is gone too: a worker taking its job finds nothing to send.
    expect(await cluster.take(queue)).toBeNull();
  });

  it('cancels the pages nobody took when a run stops, and leaves the taken ones to their workers', async () => {
    const { ledger, cluster } = await open();
    const run = await ledger.startRun('sync', '2025-01-01T00:00:00.000Z');
    const queue = cluster.queueName('sync', 'f1');
    const pages = cluster.forRun('sync', run.id, queue);
    await pages.enqueue(page(1, ['a']));
    await pages.enqueue(page(2, ['b']));
    const taken = await cluster.take(queue);
    await pages.cancelWaiting();
    expect(await pages.finished()).toEqual([{ pageNo: 2, status: 'cancelled' }]);
    expect(await cluster.take(queue)).toBeNull();
    expect(await cluster.settle(taken!, [{ key: 'a', state: 'delivered' }], null)).toBe(true);
    expect((await pages.finished()).map((p) => p.status)).toEqual(['settled']);
  });

  it('counts the workers that serve a queue while they say they are alive', async () => {
    const { cluster } = await open();
    const queue = cluster.queueName('sync', 'f1');
    expect(await cluster.liveWorkers(queue)).toBe(0);
    await cluster.register([queue]);
    expect(await cluster.liveWorkers(queue)).toBe(1);
    expect(await cluster.liveWorkers(cluster.queueName('sync', 'other'))).toBe(0);
    await cluster.unregister();
    expect(await cluster.liveWorkers(queue)).toBe(0);
  });
});
