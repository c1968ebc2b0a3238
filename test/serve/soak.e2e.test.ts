import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { CustomerEvent } from '../../src/mocks/customer-events.ts';
import { isQuarantined } from '../../src/mocks/customer-rules.ts';
import { sendCustomerEvents } from '../../src/mocks/event-sender.ts';
import { type MockDestinationHandle, startMockDestination } from '../../src/mocks/mock-destination.ts';
import { startMockSource } from '../../src/mocks/mock-source.ts';
import { repoRoot } from '../support/ferry-cli.ts';
import { pendingEvents } from '../support/operations-client.ts';
import { flagshipMapping, TEST_WEBHOOK_SECRET, waitFor } from '../support/serve-fixtures.ts';
import { freePort, rssMb, type ServeProcess, startServeProcess } from '../support/serve-process.ts';
import { auditSync } from '../support/sync-audit.ts';
import { tempDirs } from '../support/temp-dirs.ts';

/**
 * A bounded soak of ferry serve: the sync example (every 10 s, incremental, updates and deletes) on a
 * customer API churning 20 changes a second, and the webhook example fed by `ferry mock events`
 * (duplicates, out-of-order deliveries and forgeries mixed in), with ferry serve killed with kill -9 twice
 * and restarted. FERRY_SOAK_SECONDS makes it longer (docs/performance.md).
 */
const SOAK_MS = Number(process.env.FERRY_SOAK_SECONDS ?? '36') * 1000;
const dirs = tempDirs('ferry-soak-');
afterAll(() => dirs.removeAll());

/**
 * examples/customers-sync.yaml as it ships, but for the names of its destination's variables (SYNC_DEST_*,
 * since the events example in the same server uses DEST_* for another order API) and its mapping's path.
 */
async function syncExampleCopy(dir: string): Promise<string> {
  const text = await readFile(join(repoRoot, 'examples/customers-sync.yaml'), 'utf8');
  const file = join(dir, 'customers-sync.yaml');
  await writeFile(
    file,
    text
      .replaceAll('${DEST_', '${SYNC_DEST_')
      .replace('mapping: ./customers-to-orders.mapping.yaml', `mapping: ${flagshipMapping}`),
  );
  return file;
}

describe('ferry serve under a bounded soak', () => {
  it(
    'delivers every valid order exactly once through two kill -9s, refuses every forgery, and keeps its memory flat',
    async () => {
      const seed = 11;
      const customers = 300;
      const source = await startMockSource({ count: 500, seed });
      const syncOrders = await startMockDestination({
        seed,
        faults: { errorRate: 0.02, lostAckRate: 0.01 },
      });
      const eventOrders = await startMockDestination({
        seed: seed + 1,
        faults: { errorRate: 0.02, lostAckRate: 0.01 },
      });
      const dir = await dirs.make();
      const sync = await syncExampleCopy(dir);
      const port = await freePort();
      const env = {
        WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
        SOURCE_URL: `${source.url}?per_page=50`,
        SOURCE_API_KEY: source.apiKey,
        SYNC_DEST_URL: syncOrders.ordersUrl,
        SYNC_DEST_TOKEN_URL: syncOrders.tokenUrl,
        SYNC_DEST_CLIENT_ID: syncOrders.clientId,
        SYNC_DEST_CLIENT_SECRET: syncOrders.clientSecret,
        DEST_URL: eventOrders.ordersUrl,
        DEST_TOKEN_URL: eventOrders.tokenUrl,
        DEST_CLIENT_ID: eventOrders.clientId,
        DEST_CLIENT_SECRET: eventOrders.clientSecret,
      };
      const args = [
        sync,
        join(repoRoot, 'examples/customer-events-to-orders.yaml'),
        '--state',
        join(dir, 'state'),
        '--port',
        String(port),
      ];
      let serve: ServeProcess = await startServeProcess(args, env);
      const hooks = `${serve.url}/hooks/customer-events-to-orders`;

      // RSS of each process (a stretch between kills), sampled: flat memory means a process's second half
      // peaks no higher than its first, and no stretch higher than the first one.
      const stretches: { at: number; mb: number }[][] = [[]];
      const sampler = setInterval(() => {
        const stretch = stretches.at(-1)!;
        void rssMb(serve.ferry.pid).then((mb) => {
          if (mb !== undefined) stretch.push({ at: Date.now(), mb });
        });
      }, 250);
      const sending = sendCustomerEvents({
        url: hooks,
        secret: TEST_WEBHOOK_SECRET,
        ratePerSecond: 50,
        durationMs: SOAK_MS,
        customers,
        seed,
        duplicates: 0.1,
        outOfOrder: 0.1,
        forged: 0.05,
        giveUpAfterMs: 60_000,
      });
      // The customer API changes, adds and deletes 20 customers a second while events flow (as
      // `ferry mock source --churn 20/s`), and stops when they stop so the sync can settle.
      const churning = setInterval(() => source.churn(1), 50);
      void sending.finally(() => clearInterval(churning));
      try {
        for (let kill = 0; kill < 2; kill++) {
          await new Promise((resolve) => setTimeout(resolve, SOAK_MS / 3));
          serve.ferry.kill('SIGKILL');
          await serve.ferry.done;
          serve = await startServeProcess(args, env);
          stretches.push([]);
        }
        const { report, acknowledged } = await sending;

        // Every acknowledged event is processed: the inbox drains and every valid customer has its order.
        const expected = expectedOrders(acknowledged);
        await waitFor(async () => (await pendingEvents(serve.url)) === 0, 'the inbox to drain', 60_000);
        await waitFor(() => distinct(eventOrders) === expected.size, 'every event order', 60_000);
        // The sync settles within a tick or two of the last change: every valid customer's latest version.
        const settled = async () => {
          const audit = await auditSync(source.customers(), syncOrders.orders());
          return audit.missing.length + audit.unexpected.length + audit.stale.length === 0;
        };
        await waitFor(settled, "the sync to hold every customer's latest version", 60_000);

        serve.ferry.kill('SIGTERM');
        const ended = await serve.ferry.done;
        expect(ended.code).toBe(143);

        expect(report.givenUp).toBe(0);
        expect(report.forgedSent).toBeGreaterThan(0);
        expect(report.forgedAccepted).toBe(0);
        expect(report.forgedRefused).toBe(report.forgedSent);
        expect(report.redeliveries).toBeGreaterThan(0);
        expect(report.duplicateAnswers).toBeGreaterThan(0);
        expect(report.outOfOrder).toBeGreaterThan(0);

        const orders = eventOrders.orders();
        expect(orders.length).toBe(expected.size);
        expect(eventOrders.stats().duplicates).toBe(0);
        for (const order of orders) {
          const versions = expected.get(order.customerInfo.id);
          expect(
            versions,
            `an order for ${order.customerInfo.id}, which no acknowledged event named`,
          ).toBeDefined();
          // The order is the mapping of the latest version its acknowledged events carried, whatever order
          // they arrived in (an older one arriving late is stale, never applied over a newer one).
          const latest = versions!.at(-1)!;
          expect(
            { street: order.shippingAddress.line1, phone: order.customerInfo.contactPhone },
            `order ${order.orderId} holds its customer's latest version`,
          ).toEqual({ street: latest.address?.street, phone: trimmedPhone(latest.phone) });
          expect(order.customerInfo.contactEmail).not.toContain('evil.example.com');
        }
        const syncAudit = await auditSync(source.customers(), syncOrders.orders());
        expect(syncAudit.duplicated).toEqual([]);
        expect(syncAudit.expected).toBeGreaterThan(400);
        const syncStats = syncOrders.stats();
        expect(syncStats.duplicates).toBe(0);
        // Changes did reach the order API as replacements and deletions, not only as creations.
        expect(syncStats.updates).toBeGreaterThan(0);
        expect(syncStats.deletes).toBeGreaterThan(0);

        const peak = (samples: readonly { mb: number }[]) => Math.max(0, ...samples.map((s) => s.mb));
        const halves = stretches.map((samples) => {
          const middle = (samples[0]!.at + samples.at(-1)!.at) / 2;
          return [
            peak(samples.filter((s) => s.at <= middle)),
            peak(samples.filter((s) => s.at > middle)),
          ] as const;
        });
        const peaks = stretches.map(peak);
        console.info(
          `soak ${SOAK_MS / 1000}s: ${report.events} events (${report.redeliveries} redelivered, ${report.outOfOrder} out of order), ` +
            `${report.forgedSent} forgeries refused, ${report.retries} sender retries, ${orders.length} event orders, ` +
            `${syncAudit.expected} sync orders (${syncStats.updates} updates, ${syncStats.deletes} deletes, ` +
            `${source.stats().churned.updated + source.stats().churned.added + source.stats().churned.deleted} changes); peak RSS per stretch (MB, first half / second half): ` +
            halves.map(([a, b]) => `${a.toFixed(0)}/${b.toFixed(0)}`).join(', '),
        );
        for (const [firstHalf, secondHalf] of halves) expect(secondHalf).toBeLessThan(firstHalf * 1.25 + 20);
        expect(Math.max(...peaks.slice(1))).toBeLessThan(peaks[0]! * 1.25 + 20);
      } finally {
        clearInterval(sampler);
        serve.ferry.kill('SIGKILL');
        await serve.ferry.done;
        await Promise.all([source.close(), syncOrders.close(), eventOrders.close()]);
      }
    },
    SOAK_MS + 240_000,
  );
});

/**
 * The customers whose order must exist, by id, with every version their acknowledged events carried, oldest
 * first (by timestamp, which is the stream's order, not the order of arrival).
 */
function expectedOrders(acknowledged: readonly CustomerEvent[]): Map<string, CustomerEvent['data'][]> {
  const out = new Map<string, CustomerEvent['data'][]>();
  const byTime = [...acknowledged].sort((a, b) => (a.timestamp < b.timestamp ? -1 : 1));
  for (const event of byTime) {
    if (isQuarantined(event.data)) continue;
    const id = String(event.data.customer_id);
    out.set(id, [...(out.get(id) ?? []), event.data]);
  }
  return out;
}

/** The phone as the flagship mapping sends it: trimmed, left out when missing or blank. */
function trimmedPhone(phone: unknown): string | undefined {
  return typeof phone === 'string' && phone.trim() !== '' ? phone.trim() : undefined;
}

function distinct(destination: MockDestinationHandle): number {
  return new Set(destination.orders().map((o) => o.orderId)).size;
}
