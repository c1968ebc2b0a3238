import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { EXAMPLE_ORDER, expectedCustomers } from '../../src/mocks/index.ts';
import { createRandom, hashSeed } from '../../src/mocks/prng.ts';
import { flagshipConfig, runFerry, startFerry } from '../support/ferry-cli.ts';
import { type FlagshipMocks, startFlagshipMocks } from '../support/flagship-mocks.ts';
import { auditOrders, parseReport } from './audit-orders.ts';
import { killDuringRun } from './kill-during-run.ts';

/** The flagship without an Idempotency-Key header: every resend is guarded by a GET lookup. */
const lookupOnlyConfig = fileURLToPath(
  new URL('./fixtures/customers-to-orders.lookup-only.yaml', import.meta.url),
);

const seed = 1234;
// Large enough that a run lasts a few seconds with 10 ms of destination latency, so kills land mid-run
// with up to 16 requests in flight.
const count = 3000;
const expected = expectedCustomers(seed, count);
const valid = expected.distinctValidIds.length;

const stateDirs: string[] = [];
async function freshStateDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-crash-'));
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

type DestinationKind = 'idempotency-key' | 'lookup-only';

async function startMocks(kind: DestinationKind): Promise<FlagshipMocks> {
  return startFlagshipMocks({
    count,
    seed,
    perPage: 100,
    destinationFaults: { latencyMs: 10 },
    ...(kind === 'lookup-only' ? { honourIdempotency: false, allowDuplicates: true } : {}),
  });
}

/** GET lookups the destination answered (found or not). */
function lookups(running: FlagshipMocks): number {
  const byStatus = running.destination.stats().requests['GET /api/v2/orders/:orderId'] ?? {};
  return Object.values(byStatus).reduce((sum, n) => sum + n, 0);
}

const configFor = (kind: DestinationKind) => (kind === 'lookup-only' ? lookupOnlyConfig : flagshipConfig);
const runArgs = (kind: DestinationKind, state: string, logLevel = 'error') => [
  'run',
  configFor(kind),
  '--state',
  state,
  '--json',
  '--no-progress',
  '--log-level',
  logLevel,
];

async function runsIn(state: string): Promise<Array<{ status: string }>> {
  const listed = await runFerry(['runs', 'list', '--json', '--limit', '100', '--state', state]);
  expect(listed.code, listed.stderr).toBe(0);
  return JSON.parse(listed.stdout) as Array<{ status: string }>;
}

async function deadLettersIn(state: string): Promise<Array<{ key: string; state: string }>> {
  const listed = await runFerry(['dlq', 'list', '--json', '--limit', '10000', '--state', state]);
  expect(listed.code, listed.stderr).toBe(0);
  return JSON.parse(listed.stdout) as Array<{ key: string; state: string }>;
}

/** Reruns to completion and checks the destination holds every valid customer's order exactly once. */
async function finishAndAudit(
  kind: DestinationKind,
  state: string,
  destination: FlagshipMocks,
  customers = count,
) {
  const want = expectedCustomers(seed, customers);
  const final = await runFerry(runArgs(kind, state), { env: destination.env });
  const report = parseReport(final.stdout, final.stderr);
  expect(report.counts.failed).toBe(0);
  expect(report.status).toBe('completed_with_errors'); // the dirty records, quarantined again or before
  // Exit code 1 only when the rerun quarantined a dirty record for the first time (one the killed run never
  // reached); those an earlier run quarantined are known problems.
  const fresh = report.counts.quarantined - report.known.stillQuarantined;
  expect(final.code).toBe(fresh > 0 ? 1 : 0);

  const audit = auditOrders(destination.destination.orders(), seed, customers);
  expect(audit.missing).toEqual([]);
  expect(audit.duplicated).toEqual([]);
  expect(audit.unexpected).toEqual([]);
  expect(audit.stored).toBe(want.distinctValidIds.length);

  // Each dirty record has exactly one dead letter, however many runs read it.
  const letters = await deadLettersIn(state);
  expect(letters.filter((l) => l.state === 'failed')).toEqual([]);
  expect(letters.length).toBe(want.quarantined);
  expect(new Set(letters.map((l) => l.key)).size).toBe(letters.length);
}

describe.each<DestinationKind>(['idempotency-key', 'lookup-only'])(
  'kill -9 three times, then rerun (%s destination)',
  (kind) => {
    it('leaves no order missing and none duplicated', async () => {
      mocks = await startMocks(kind);
      const state = await freshStateDir();
      const random = createRandom(hashSeed(seed, kind === 'lookup-only' ? 0xdead : 0xbeef));
      const killedAt: number[] = [];
      for (let i = 0; i < 3; i++) {
        // Seeded targets spread over the run: somewhere in 5-25%, 35-55% and 65-85% of the orders.
        const afterOrders = Math.round(valid * (0.05 + 0.3 * i + 0.2 * random()));
        const { result, ordersAtSignal } = await killDuringRun({
          args: runArgs(kind, state),
          env: mocks.env,
          ordersStored: () => mocks!.destination.stats().ordersStored,
          afterOrders,
          signal: 'SIGKILL',
        });
        // The kill must have landed mid-run, or this test would prove nothing about crashes.
        expect(result.signal, `run ${i + 1} ended before its kill: ${result.stderr.slice(-500)}`).toBe(
          'SIGKILL',
        );
        killedAt.push(ordersAtSignal ?? -1);
      }
      expect(killedAt[2]!).toBeLessThan(valid);

      const lookupsBefore = lookups(mocks);
      await finishAndAudit(kind, state, mocks);
      // The final run found records the crashes left in flight and asked the destination about them.
      expect(lookups(mocks)).toBeGreaterThan(lookupsBefore);
      const runs = await runsIn(state);
      expect(runs.map((r) => r.status).sort()).toEqual([
        'completed_with_errors',
        'crashed',
        'crashed',
        'crashed',
      ]);
    }, 120_000);
  },
);

describe('stopping by signal (lookup-only destination)', () => {
  it.each<[NodeJS.Signals, number]>([
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ])(
    '%s stops with exit code %i, records "interrupted", and a rerun completes',
    async (signal, code) => {
      mocks = await startMocks('lookup-only');
      const state = await freshStateDir();
      const { result } = await killDuringRun({
        args: runArgs('lookup-only', state),
        env: mocks.env,
        ordersStored: () => mocks!.destination.stats().ordersStored,
        afterOrders: Math.round(valid * 0.3),
        signal,
      });
      expect(result.signal, result.stderr.slice(-1000)).toBeNull();
      expect(result.code, result.stderr.slice(-1000)).toBe(code);
      const interrupted = parseReport(result.stdout, result.stderr);
      expect(interrupted.status).toBe('interrupted');
      expect(interrupted.counts.delivered).toBeLessThan(valid);
      expect((await runsIn(state)).map((r) => r.status)).toEqual(['interrupted']);

      await finishAndAudit('lookup-only', state, mocks);
    },
    60_000,
  );

  it('a second SIGINT exits at once with 130, and a rerun still delivers each order once', async () => {
    // 300 ms per order, so the second signal surely arrives while requests are still in flight.
    const small = 100;
    mocks = await startFlagshipMocks({
      count: small,
      seed,
      perPage: 25,
      destinationFaults: { latencyMs: 300 },
      honourIdempotency: false,
      allowDuplicates: true,
    });
    const state = await freshStateDir();
    const ferry = startFerry(runArgs('lookup-only', state, 'warn'), { env: mocks.env });
    while (mocks.destination.stats().ordersStored < 20) await new Promise((r) => setTimeout(r, 5));
    ferry.kill('SIGINT');
    await ferry.waitForStderr(/finishing records in flight/);
    ferry.kill('SIGINT');
    const result = await ferry.done;
    expect(result.code, result.stderr.slice(-1000)).toBe(130);
    // Forced: no report was written and the run never recorded an end; the next run marks it crashed.
    expect(result.stdout).toBe('');
    expect((await runsIn(state)).map((r) => r.status)).toEqual(['running']);

    await finishAndAudit('lookup-only', state, mocks, small);
    expect((await runsIn(state)).map((r) => r.status).sort()).toEqual(['completed_with_errors', 'crashed']);
  }, 60_000);
});

const dieAfterSettling = fileURLToPath(new URL('./fixtures/die-after-settling.ts', import.meta.url));

/** Runs the flagship in a child that SIGKILLs itself once the ledger holds a record as `state`. */
function runAndDieAfter(state: 'quarantined' | 'failed', stateDir: string, env: Record<string, string>) {
  return new Promise<{ signal: NodeJS.Signals | null; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [dieAfterSettling, flagshipConfig, stateDir, state], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.on('close', (_code, signal) => resolve({ signal, stderr }));
  });
}

/** Stores an order under `orderId` that differs from what the flagship will send, so ferry's fails (409). */
async function storeConflictingOrder(running: FlagshipMocks, orderId: string): Promise<void> {
  const basic = Buffer.from(`${running.destination.clientId}:${running.destination.clientSecret}`).toString(
    'base64',
  );
  const token = await fetch(running.destination.tokenUrl, {
    method: 'POST',
    headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
  const { access_token } = (await token.json()) as { access_token: string };
  const stored = await fetch(running.destination.ordersUrl, {
    method: 'POST',
    headers: { authorization: `Bearer ${access_token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ ...EXAMPLE_ORDER, orderId }),
  });
  expect(stored.status).toBe(201);
}

describe('kill -9 right after a record is settled as not delivered', () => {
  const small = 200;

  it('a quarantined record keeps its dead letter', async () => {
    mocks = await startFlagshipMocks({ count: small, seed, perPage: 50 });
    const state = await freshStateDir();
    const died = await runAndDieAfter('quarantined', state, mocks.env);
    expect(died.signal, died.stderr.slice(-1000)).toBe('SIGKILL');

    const final = await runFerry(runArgs('idempotency-key', state), { env: mocks.env });
    expect(final.code, final.stderr.slice(-1000)).toBe(1);
    const letters = await deadLettersIn(state);
    expect(letters.length).toBe(expectedCustomers(seed, small).quarantined);
  }, 60_000);

  it('a failed record keeps its dead letter', async () => {
    mocks = await startFlagshipMocks({ count: small, seed, perPage: 50 });
    const conflicting = `ORD-${expectedCustomers(seed, small).distinctValidIds[0]}`;
    await storeConflictingOrder(mocks, conflicting);
    const state = await freshStateDir();
    const died = await runAndDieAfter('failed', state, mocks.env);
    expect(died.signal, died.stderr.slice(-1000)).toBe('SIGKILL');

    const final = await runFerry(runArgs('idempotency-key', state), { env: mocks.env });
    expect(parseReport(final.stdout, final.stderr).counts.failed).toBe(1);
    const failed = (await deadLettersIn(state)).filter((l) => l.state === 'failed');
    expect(failed.map((l) => l.key)).toEqual([conflicting.slice('ORD-'.length)]);
  }, 60_000);
});
