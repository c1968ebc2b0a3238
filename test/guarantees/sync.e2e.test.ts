import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type FerryResult, runFerry, startFerry } from '../support/ferry-cli.ts';
import { type FlagshipMocks, startFlagshipMocks } from '../support/flagship-mocks.ts';
import { auditSync } from '../support/sync-audit.ts';
import { parseReport } from './audit-orders.ts';

const syncConfig = fileURLToPath(new URL('../../examples/customers-sync.yaml', import.meta.url));

const seed = 4242;
const count = 600;

const stateDirs: string[] = [];
afterAll(async () => {
  await Promise.all(stateDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});
let mocks: FlagshipMocks | undefined;
afterEach(async () => {
  await mocks?.close();
  mocks = undefined;
});

const runArgs = (state: string) => [
  'run',
  syncConfig,
  '--state',
  state,
  '--json',
  '--no-progress',
  '--log-level',
  'error',
];

/** Writes the order API has applied: creates, replacements and deletes. */
function writes(running: FlagshipMocks): number {
  const stats = running.destination.stats();
  return stats.ordersStored + stats.deletes + stats.updates;
}

/** Churns the customer API (50 steps a second) while `work` runs, so customers change during reads. */
async function churnDuring<T>(running: FlagshipMocks, work: Promise<T>): Promise<T> {
  const timer = setInterval(() => running.source.churn(1), 20);
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
}

function expectRunEnded(result: FerryResult, what: string): ReturnType<typeof parseReport> {
  // 1: a seeded dirty customer quarantined for the first time; never 2 or 3.
  expect([0, 1], `${what}: ${result.stderr.slice(-1500)}`).toContain(result.code);
  return parseReport(result.stdout, result.stderr);
}

type DestinationKind = 'idempotency-key' | 'keys-ignored';

describe.each<DestinationKind>(['idempotency-key', 'keys-ignored'])(
  'customers-sync.yaml against a churning customer API (%s order API)',
  (kind) => {
    it('ends with one order per valid customer equal to its latest version: writes delayed, redelivered, killed', async () => {
      mocks = await startFlagshipMocks({
        count,
        seed,
        perPage: 100,
        destinationFaults: {
          latencyMs: 3,
          errorRate: 0.03,
          lostAckRate: 0.02,
          // The network delivers a fifth of the PUTs and DELETEs again 40 ms later: stale writes arriving
          // after newer ones, which If-Match must refuse.
          redeliverRate: 0.2,
          redeliverDelayMs: 40,
        },
        // Keys ignored and duplicates stored: a second create would show, and a redelivered write is not
        // absorbed by its key.
        ...(kind === 'keys-ignored' ? { honourIdempotency: false, allowDuplicates: true } : {}),
      });
      const running = mocks;
      const state = await mkdtemp(join(tmpdir(), 'ferry-sync-'));
      stateDirs.push(state);

      // The first read creates every valid customer's order while customers change under it.
      const first = expectRunEnded(
        await churnDuring(running, runFerry(runArgs(state), { env: running.env })),
        'first run',
      );
      expect(first.counts.delivered).toBeGreaterThan(500);

      // Two incremental runs, customers changing, added and deleted during each.
      for (let i = 0; i < 2; i++) {
        running.source.churn(100);
        const report = expectRunEnded(
          await churnDuring(running, runFerry(runArgs(state), { env: running.env })),
          `incremental run ${i + 1}`,
        );
        // Only what changed since the last run (and the 5 s lookback), not the whole data set.
        expect(report.counts.read).toBeLessThan(running.source.stats().customers);
        expect(report.counts.delivered).toBeGreaterThan(30);
      }

      // kill -9 in the middle of a run with writes in flight.
      running.source.churn(300);
      const before = writes(running);
      const ferry = startFerry(runArgs(state), { env: running.env });
      const killed = await churnDuring(
        running,
        new Promise<FerryResult>((resolve) => {
          const timer = setInterval(() => {
            if (writes(running) >= before + 80) {
              clearInterval(timer);
              ferry.kill('SIGKILL');
            }
          }, 1);
          void ferry.done.then((result) => {
            clearInterval(timer);
            resolve(result);
          });
        }),
      );
      expect(killed.signal, `the run ended before its kill: ${killed.stderr.slice(-500)}`).toBe('SIGKILL');

      // Rerun while customers still change, then once more after the last change.
      expectRunEnded(await churnDuring(running, runFerry(runArgs(state), { env: running.env })), 'rerun');
      running.source.churn(100);
      const last = expectRunEnded(await runFerry(runArgs(state), { env: running.env }), 'last run');
      expect(last.counts.failed).toBe(0);

      const result = await auditSync(running.source.customers(), running.destination.orders());
      expect(result.expected).toBeGreaterThan(500);
      expect(result.missing).toEqual([]);
      expect(result.unexpected).toEqual([]);
      expect(result.duplicated).toEqual([]);
      expect(result.stale).toEqual([]);
      const stats = running.destination.stats();
      expect(stats.updates).toBeGreaterThan(150);
      expect(stats.deletes).toBeGreaterThan(10);
      expect(stats.duplicates).toBe(0);
      // Delayed copies of writes did arrive, and not one of them was applied over a newer version.
      expect(stats.redelivered).toBeGreaterThan(10);
      expect(stats.redeliveredApplied).toBe(0);

      // Nothing changed since: the next run sends nothing.
      const idle = expectRunEnded(await runFerry(runArgs(state), { env: running.env }), 'idle run');
      expect(idle.counts.delivered).toBe(0);
      // It read the lookback window again (5 s before the last change it settled), skipped by content,
      // not the data set.
      // A seeded repeat row shows the version of the customer it repeats; a read by updated_at lists that
      // version once.
      const versions = new Map(running.source.customers().map((c) => [JSON.stringify(c), c]));
      const stamps = [...versions.values()].map((c) => Date.parse(c.updated_at!));
      const mark = Math.max(...stamps);
      expect(idle.counts.read).toBe(stamps.filter((ms) => ms >= mark - 5000).length);
      expect(idle.counts.skipped).toBe(idle.counts.read - idle.counts.quarantined);
      expect(writes(running)).toBe(stats.ordersStored + stats.deletes + stats.updates);
    }, 240_000);
  },
);
