// The flagship over XML on both sides (examples/customers-xml-to-orders.yaml): customers from the XML
// listing, each page streamed, to the order API taking XML, through faults and kill -9s with reruns.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { expectedCustomers } from '../../src/mocks/index.ts';
import { runFerry } from '../support/ferry-cli.ts';
import { type FlagshipMocks, startFlagshipMocks } from '../support/flagship-mocks.ts';
import { auditOrders, parseReport } from './audit-orders.ts';
import { killDuringRun } from './kill-during-run.ts';

const config = fileURLToPath(new URL('../../examples/customers-xml-to-orders.yaml', import.meta.url));

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});
let mocks: FlagshipMocks | undefined;
afterEach(async () => {
  await mocks?.close();
  mocks = undefined;
});

const runArgs = (state: string) => [
  'run',
  config,
  '--state',
  state,
  '--json',
  '--no-progress',
  '--log-level',
  'error',
];

describe('customers as XML to orders as XML', () => {
  const seed = 5150;
  const count = 2000;
  const expected = expectedCustomers(seed, count);

  it('delivers every valid customer once through faults and two kill -9s, the dirty ones quarantined', async () => {
    mocks = await startFlagshipMocks({
      count,
      seed,
      sourceFaults: { errorRate: 0.03 },
      destinationFaults: { latencyMs: 10, errorRate: 0.05, lostAckRate: 0.02 },
    });
    const state = await mkdtemp(join(tmpdir(), 'ferry-xml-'));
    dirs.push(state);
    const valid = expected.distinctValidIds.length;
    for (const share of [0.2, 0.6]) {
      const { result } = await killDuringRun({
        args: runArgs(state),
        env: mocks.env,
        ordersStored: () => mocks!.destination.stats().ordersStored,
        afterOrders: Math.round(valid * share),
        signal: 'SIGKILL',
      });
      expect(result.signal, result.stderr.slice(-500)).toBe('SIGKILL');
    }
    const final = await runFerry(runArgs(state), { env: mocks.env });
    const report = parseReport(final.stdout, final.stderr);
    expect(report.counts.failed, final.stderr.slice(-2000)).toBe(0);

    const audit = auditOrders(mocks.destination.orders(), seed, count);
    expect(audit.missing).toEqual([]);
    expect(audit.duplicated).toEqual([]);
    expect(audit.unexpected).toEqual([]);
    expect(mocks.destination.stats().lostAcks).toBeGreaterThan(0);
    const letters = await runFerry(['dlq', 'list', '--json', '--limit', '10000', '--state', state]);
    const parsed = JSON.parse(letters.stdout) as { state: string; reasons: { field?: string }[] }[];
    expect(parsed.filter((l) => l.state !== 'quarantined')).toEqual([]);
    expect(parsed.length).toBe(expected.quarantined);
  }, 180_000);
});
