import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { distinctValidCustomerIds } from '../../src/mocks/customer-rules.ts';
import { type MockDestinationHandle, startMockDestination } from '../../src/mocks/mock-destination.ts';
import { type MockSourceHandle, startMockSource } from '../../src/mocks/mock-source.ts';
import { openSqliteLedger } from '../../src/state/sqlite-ledger.ts';
import { repoRoot, runFerry } from '../support/ferry-cli.ts';
import { customer, TEST_WEBHOOK_SECRET, writePolledIntegration } from '../support/serve-fixtures.ts';
import { tempDirs } from '../support/temp-dirs.ts';

const dirs = tempDirs('ferry-run-once-');
let destination: MockDestinationHandle;
let source: MockSourceHandle;
let env: Record<string, string>;

beforeAll(async () => {
  destination = await startMockDestination({ seed: 5 });
  source = await startMockSource({ count: 40, seed: 5 });
  env = {
    WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
    SOURCE_URL: source.url,
    SOURCE_API_KEY: source.apiKey,
    DEST_URL: destination.ordersUrl,
    DEST_TOKEN_URL: destination.tokenUrl,
    DEST_CLIENT_ID: destination.clientId,
    DEST_CLIENT_SECRET: destination.clientSecret,
  };
});
afterAll(async () => {
  await Promise.all([destination.close(), source.close(), dirs.removeAll()]);
});

describe('ferry run stays one run', () => {
  it('runs a file with a schedule once and exits', async () => {
    const dir = await dirs.make();
    const file = await writePolledIntegration(dir, 'scheduled', { schedule: 'schedule:\n  every: 1s\n' });
    const result = await runFerry(['run', file, '--state', join(dir, 'state')], { env });
    expect(result.code).toBe(0);
    expect(new Set(destination.orders().map((o) => o.orderId)).size).toBe(
      distinctValidCustomerIds(5, 40).length,
    );
    destination.reset();
  });

  it('processes what waits in a webhook inbox once and exits', async () => {
    const dir = await dirs.make();
    const state = join(dir, 'state');
    const ledger = await openSqliteLedger(state);
    for (const id of ['701', '702']) {
      await ledger.inboxAdd(
        {
          integration: 'customer-events-to-orders',
          eventId: `msg_${id}`,
          key: id,
          version: Date.now(),
          payload: { type: 'customer.created', timestamp: new Date().toISOString(), data: customer(id) },
          receivedAt: new Date().toISOString(),
        },
        { maxPending: 10 },
      );
    }
    await ledger.close();
    const example = join(repoRoot, 'examples/customer-events-to-orders.yaml');
    const result = await runFerry(['run', example, '--state', state], { env });
    expect(result.code).toBe(0);
    expect(
      destination
        .orders()
        .map((o) => o.orderId)
        .sort(),
    ).toEqual(['ORD-701', 'ORD-702']);
    const again = await runFerry(['run', example, '--state', state, '--json'], { env });
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout).counts).toMatchObject({ read: 0 });
    const reopened = await openSqliteLedger(state);
    expect(await reopened.inboxStats('customer-events-to-orders')).toEqual({
      pending: 0,
      oldestPendingAt: null,
    });
    await reopened.close();
    destination.reset();
  });
});
