import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { expectedCustomers } from '../../src/mocks/index.ts';
import { flagshipConfig, runFerry } from '../support/ferry-cli.ts';
import { type FlagshipMocks, startFlagshipMocks } from '../support/flagship-mocks.ts';
import { auditOrders, parseReport } from './audit-orders.ts';

// The fault mix: 10% 5xx, 5% 429 (Retry-After as seconds and as an HTTP-date), 2% lost
// acknowledgements. Retry-After asks for 0 s (the smallest the mock allows; the HTTP-date form still rounds
// up to the next whole second), so the test spends its time on ferry, not on sleeping.
const FAULT_MIX = {
  errorRate: 0.1,
  rateLimitedRate: 0.05,
  retryAfter: 'mixed',
  retryAfterSeconds: 0,
} as const;

const stateDirs: string[] = [];
async function freshStateDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-guarantees-'));
  stateDirs.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(stateDirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

let mocks: FlagshipMocks | undefined;
afterEach(async () => {
  await mocks?.close();
  mocks = undefined;
});

async function runFlagship(env: Record<string, string>) {
  const state = await freshStateDir();
  const result = await runFerry(
    ['run', flagshipConfig, '--state', state, '--json', '--no-progress', '--log-level', 'error'],
    { env },
  );
  return { result, report: parseReport(result.stdout, result.stderr), state };
}

describe('ferry run against a faulty destination', () => {
  const seed = 42;
  const count = 1_000;

  it('delivers every valid customer exactly once through 5xx, 429s, lost acknowledgements and 2-second tokens', async () => {
    mocks = await startFlagshipMocks({
      count,
      seed,
      perPage: 50,
      tokenTtlSeconds: 2,
      destinationFaults: { ...FAULT_MIX, lostAckRate: 0.02 },
    });
    const expected = expectedCustomers(seed, count);
    const { result, report } = await runFlagship(mocks.env);

    // Exit code 1 only because of the dirty records: they are all quarantined, nothing failed.
    expect(report.counts.quarantined).toBe(expected.quarantined);
    expect(report.counts.failed).toBe(0);
    expect(report.status).toBe('completed_with_errors');
    expect(result.code).toBe(1);
    const { read, delivered, skipped, quarantined, failed } = report.counts;
    expect(read).toBe(count);
    expect(delivered + skipped + quarantined + failed).toBe(read);
    expect(delivered).toBe(expected.distinctValidIds.length);

    const audit = auditOrders(mocks.destination.orders(), seed, count);
    expect(audit.missing).toEqual([]);
    expect(audit.duplicated).toEqual([]);
    expect(audit.unexpected).toEqual([]);
    expect(audit.stored).toBe(audit.expected);

    // The faults really happened: otherwise this test would prove nothing.
    const stats = mocks.destination.stats();
    expect(stats.injectedErrors).toBeGreaterThan(0);
    expect(stats.rateLimited).toBeGreaterThan(0);
    expect(stats.lostAcks).toBeGreaterThan(0);
    expect(stats.tokensIssued).toBeGreaterThan(1);
    // Every lost acknowledgement was settled by a lookup that found the order (the flagship has one) before
    // any resend, never by a second order. (The lookups a new ledger makes first answer 404.)
    const found = stats.requests['GET /api/v2/orders/:orderId']?.['200'] ?? 0;
    expect(found).toBeGreaterThanOrEqual(stats.lostAcks);
  }, 120_000);
});

describe('ferry run against a faulty, paginating source', () => {
  const seed = 7;
  const count = 1000;

  it('reads every page through 5xx and 429s and delivers each valid customer once', async () => {
    mocks = await startFlagshipMocks({
      count,
      seed,
      // 40 page requests: with 10% 5xx and 10% 429 each kind is drawn several times (seeded).
      perPage: 25,
      sourceFaults: { ...FAULT_MIX, rateLimitedRate: 0.1 },
    });
    const expected = expectedCustomers(seed, count);
    const { result, report } = await runFlagship(mocks.env);

    expect(report.counts.read).toBe(count);
    expect(report.counts.quarantined).toBe(expected.quarantined);
    expect(report.counts.failed).toBe(0);
    const { read, delivered, skipped, quarantined, failed } = report.counts;
    expect(delivered + skipped + quarantined + failed).toBe(read);
    expect(result.code).toBe(1);

    const audit = auditOrders(mocks.destination.orders(), seed, count);
    expect(audit.missing).toEqual([]);
    expect(audit.duplicated).toEqual([]);
    expect(audit.unexpected).toEqual([]);

    const stats = mocks.source.stats();
    expect(stats.injectedErrors).toBeGreaterThan(0);
    expect(stats.rateLimited).toBeGreaterThan(0);
  }, 60_000);
});
