import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Reason } from '../../src/core/ledger-types.ts';
import { customerAt, expectedCustomers } from '../../src/mocks/index.ts';
import { createRandom, hashSeed } from '../../src/mocks/prng.ts';
import { runFerry } from '../support/ferry-cli.ts';
import { type FlagshipMocks, startFlagshipMocks } from '../support/flagship-mocks.ts';
import { auditOrders, parseReport } from './audit-orders.ts';
import { killDuringRun } from './kill-during-run.ts';

/** The example as the README runs it: customers over GraphQL, orders to the REST order API. */
const graphqlConfig = fileURLToPath(
  new URL('../../examples/customers-graphql-to-orders.yaml', import.meta.url),
);

const stateDirs: string[] = [];
async function freshStateDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-graphql-'));
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

const runArgs = (state: string) => [
  'run',
  graphqlConfig,
  '--state',
  state,
  '--json',
  '--no-progress',
  '--log-level',
  'error',
];

interface Letter {
  readonly key: string;
  readonly state: string;
  readonly record: unknown;
  readonly reasons: readonly (Reason & { readonly at?: string })[];
}

async function deadLettersIn(state: string): Promise<Letter[]> {
  const listed = await runFerry(['dlq', 'list', '--json', '--limit', '10000', '--state', state]);
  expect(listed.code, listed.stderr).toBe(0);
  return JSON.parse(listed.stdout) as Letter[];
}

async function runStatuses(state: string): Promise<string[]> {
  const listed = await runFerry(['runs', 'list', '--json', '--limit', '100', '--state', state]);
  expect(listed.code, listed.stderr).toBe(0);
  return (JSON.parse(listed.stdout) as Array<{ status: string }>).map((run) => run.status).sort();
}

describe('customers over GraphQL to the order API', () => {
  const seed = 4321;
  // Large enough that a run lasts a few seconds with 10 ms of destination latency, so kills land mid-run.
  const count = 3000;
  const expected = expectedCustomers(seed, count);
  const valid = expected.distinctValidIds.length;

  it('delivers every valid customer once through GraphQL and HTTP faults and three kill -9s with reruns', async () => {
    mocks = await startFlagshipMocks({
      count,
      seed,
      // The source fails whole requests inside a 200 (SERVICE_UNAVAILABLE), sends pages with a customer
      // in error (partial data), and answers 500/503; the destination answers 5xx and drops
      // acknowledgements of orders it stored.
      sourceFaults: { graphqlErrorRate: 0.08, graphqlPartialRate: 0.05, errorRate: 0.05 },
      destinationFaults: { latencyMs: 10, errorRate: 0.05, lostAckRate: 0.02 },
    });
    const state = await freshStateDir();
    const random = createRandom(hashSeed(seed, 0x9a9));
    const killedAt: number[] = [];
    for (let i = 0; i < 3; i++) {
      // Seeded targets spread over the run: somewhere in 5-25%, 35-55% and 65-85% of the orders.
      const afterOrders = Math.round(valid * (0.05 + 0.3 * i + 0.2 * random()));
      const { result, ordersAtSignal } = await killDuringRun({
        args: runArgs(state),
        env: mocks.env,
        ordersStored: () => mocks!.destination.stats().ordersStored,
        afterOrders,
        signal: 'SIGKILL',
      });
      expect(result.signal, `run ${i + 1} ended before its kill: ${result.stderr.slice(-500)}`).toBe(
        'SIGKILL',
      );
      killedAt.push(ordersAtSignal ?? -1);
    }
    expect(killedAt[2]!).toBeLessThan(valid);

    const final = await runFerry(runArgs(state), { env: mocks.env });
    const report = parseReport(final.stdout, final.stderr);
    expect(report.counts.failed, final.stderr.slice(-2000)).toBe(0);
    expect(report.status).toBe('completed_with_errors'); // the dirty customers, quarantined

    // The order API holds each valid customer's order exactly once, and nothing else.
    const audit = auditOrders(mocks.destination.orders(), seed, count);
    expect(audit.missing).toEqual([]);
    expect(audit.duplicated).toEqual([]);
    expect(audit.unexpected).toEqual([]);
    expect(audit.stored).toBe(valid);
    // Faults happened on both sides. Which ones the source drew depends on where the kills landed, so only
    // their sum is sure to be positive; the next test makes partial data certain.
    const source = mocks.source.stats();
    expect(source.graphqlErrors + source.graphqlPartials + source.injectedErrors).toBeGreaterThan(0);
    expect(mocks.destination.stats().lostAcks).toBeGreaterThan(0);

    // Each dirty customer has exactly one dead letter, however many runs read it.
    const letters = await deadLettersIn(state);
    expect(letters.filter((letter) => letter.state === 'failed')).toEqual([]);
    expect(letters.length).toBe(expected.quarantined);
    expect(new Set(letters.map((letter) => letter.key)).size).toBe(letters.length);
    expect(await runStatuses(state)).toEqual(['completed_with_errors', 'crashed', 'crashed', 'crashed']);
  }, 180_000);

  it('quarantines a dirty customer with its cursor position and field, and a customer sent as an error with its position', async () => {
    const small = 300;
    // Every page has one customer the API fails to load, however often it is asked.
    mocks = await startFlagshipMocks({ count: small, seed, sourceFaults: { graphqlPartialRate: 1 } });
    const state = await freshStateDir();
    const result = await runFerry(runArgs(state), { env: mocks.env });
    const report = parseReport(result.stdout, result.stderr);
    expect(result.code, result.stderr.slice(-2000)).toBe(1);
    // Three pages of 100, one customer in error on each; each page asked for four times.
    expect(mocks.source.stats().graphqlPartials).toBe(12);
    const letters = await deadLettersIn(state);

    const unloaded = letters.filter((letter) => letter.reasons[0]?.code === 'source_graphql_error');
    expect(unloaded).toHaveLength(3);
    for (const letter of unloaded) {
      expect(letter.reasons).toEqual([
        {
          code: 'source_graphql_error',
          message: expect.stringMatching(
            /^the source sent an error instead of this record: customer at offset \d+ could not be loaded \(injected partial failure\) \(INTERNAL_SERVER_ERROR\)$/,
          ),
          at: expect.stringMatching(/^cursor [A-Za-z0-9_-]+$/),
        },
      ]);
      // The dead letter holds what was read at that place: the edge, its node null.
      expect(letter.record).toEqual({ cursor: letter.reasons[0]!.at!.slice('cursor '.length), node: null });
    }

    // A customer with an implausible email: named by its edge cursor and the field at fault.
    const dirty = Array.from(
      { length: small },
      (_, i) => customerAt(seed, i) as { email?: unknown },
    ).findIndex(
      (customer) =>
        typeof customer.email === 'string' && !/^\s*[^\s@]+@[^\s@.]+(\.[^\s@.]+)+\s*$/.test(customer.email),
    );
    expect(dirty).toBeGreaterThanOrEqual(0);
    const dirtyId = String((customerAt(seed, dirty) as { customer_id?: unknown }).customer_id);
    const letter = letters.find((l) => l.key === dirtyId);
    expect(letter?.reasons).toContainEqual({
      field: 'email',
      code: 'invalid_email',
      message: 'must be a plausible email address',
      at: `cursor ${Buffer.from(`customer:${dirty}`).toString('base64url')}`,
    });

    // The customers in error were not lost: each valid one missing from the order API is one of them.
    const audit = auditOrders(mocks.destination.orders(), seed, small);
    expect(audit.duplicated).toEqual([]);
    expect(audit.unexpected).toEqual([]);
    expect(audit.missing.length).toBeLessThanOrEqual(3);
    expect(report.counts.quarantined).toBe(letters.length);
  }, 60_000);
});
