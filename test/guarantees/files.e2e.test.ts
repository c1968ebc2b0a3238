import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { customersCsv } from '../../src/mocks/customer-csv.ts';
import { expectedCustomers } from '../../src/mocks/index.ts';
import { createRandom, hashSeed } from '../../src/mocks/prng.ts';
import { runFerry } from '../support/ferry-cli.ts';
import { type FlagshipMocks, startFlagshipMocks } from '../support/flagship-mocks.ts';
import { tempDirs } from '../support/temp-dirs.ts';
import { auditOrders, parseReport } from './audit-orders.ts';
import { killDuringRun } from './kill-during-run.ts';

const example = (name: string) => fileURLToPath(new URL(`../../examples/${name}`, import.meta.url));
const csvToOrders = example('customers-csv-to-orders.yaml');
const toCsv = example('customers-to-csv.yaml');

const dirs = tempDirs('ferry-files-e2e-');
afterAll(() => dirs.removeAll());

let mocks: FlagshipMocks | undefined;
afterEach(async () => {
  await mocks?.close();
  mocks = undefined;
});

const runArgs = (config: string, state: string) => [
  'run',
  config,
  '--state',
  state,
  '--json',
  '--no-progress',
  '--log-level',
  'error',
];

/** The orders of the CSV the file destination wrote, checking on the way that every row is whole. */
async function ordersInFile(path: string): Promise<Array<{ orderId: string }>> {
  const bytes = await readFile(path);
  expect(bytes.at(-1), `${path} ends with a whole row`).toBe(0x0a);
  // Strict: a torn row (an open quote, a missing cell) makes this throw.
  return parse(bytes, { columns: true }) as Array<{ orderId: string }>;
}

/**
 * Counts the rows of a file that only grows, reading only what was appended since the last call, so it
 * can be polled every millisecond (the header counts as one; the orders here hold no line breaks).
 */
function rowCounter(path: string): () => number {
  let offset = 0;
  let rows = 0;
  return () => {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch {
      return 0;
    }
    try {
      const size = fstatSync(fd).size;
      if (size > offset) {
        const bytes = Buffer.alloc(size - offset);
        readSync(fd, bytes, 0, bytes.length, offset);
        for (let at = bytes.indexOf(0x0a); at !== -1; at = bytes.indexOf(0x0a, at + 1)) rows++;
        offset = size;
      }
    } finally {
      closeSync(fd);
    }
    return Math.max(0, rows - 1);
  };
}

/** Three kill -9s, spread over the run by a seeded draw, each landing mid-run. */
async function killThreeTimes(options: {
  config: string;
  state: string;
  env: Record<string, string>;
  stored: () => number;
  valid: number;
  seed: number;
}): Promise<void> {
  const random = createRandom(hashSeed(options.seed, 0xf11e));
  for (let i = 0; i < 3; i++) {
    const afterOrders = Math.round(options.valid * (0.05 + 0.3 * i + 0.2 * random()));
    const { result } = await killDuringRun({
      args: runArgs(options.config, options.state),
      env: options.env,
      ordersStored: options.stored,
      afterOrders,
      signal: 'SIGKILL',
    });
    expect(result.signal, `run ${i + 1} ended before its kill: ${result.stderr.slice(-500)}`).toBe('SIGKILL');
  }
}

describe('examples/customers-csv-to-orders.yaml', () => {
  it('delivers every valid row once from the mock export, naming file and line in every reason', async () => {
    const seed = 7;
    const count = 400;
    mocks = await startFlagshipMocks({ count, seed });
    const state = await dirs.make();
    const env = { ...mocks.env, SOURCE_FILE: mocks.source.csvUrl };
    const result = await runFerry(runArgs(csvToOrders, state), { env });
    expect(result.code, result.stderr).toBe(1);
    const want = expectedCustomers(seed, count);
    expect(parseReport(result.stdout, result.stderr).counts).toEqual({
      read: count,
      delivered: want.distinctValidIds.length,
      skipped: want.duplicates,
      quarantined: want.quarantined,
      failed: 0,
    });
    const audit = auditOrders(mocks.destination.orders(), seed, count);
    expect([audit.missing, audit.duplicated, audit.unexpected]).toEqual([[], [], []]);

    const listed = await runFerry(['dlq', 'list', '--json', '--limit', '1000', '--state', state]);
    const letters = JSON.parse(listed.stdout) as Array<{ reasons: Array<{ at?: string }> }>;
    expect(letters).toHaveLength(want.quarantined);
    for (const letter of letters) expect(letter.reasons[0]!.at).toMatch(/^customers\.csv:\d+$/);
  }, 60_000);

  it('delivers every valid row exactly once through faults and three kill -9s with reruns', async () => {
    const seed = 4321;
    const count = 3000;
    mocks = await startFlagshipMocks({
      count,
      seed,
      // The export is downloaded through 503s and 429s; orders meet errors, latency and lost answers.
      sourceFaults: { errorRate: 0.2, rateLimitedRate: 0.1, retryAfterSeconds: 0 },
      destinationFaults: { latencyMs: 10, errorRate: 0.03, lostAckRate: 0.02 },
    });
    const running = mocks;
    const state = await dirs.make();
    const env = { ...running.env, SOURCE_FILE: `${running.source.csvUrl}.gz` };
    const want = expectedCustomers(seed, count);
    await killThreeTimes({
      config: csvToOrders,
      state,
      env,
      stored: () => running.destination.stats().ordersStored,
      valid: want.distinctValidIds.length,
      seed,
    });
    const final = await runFerry(runArgs(csvToOrders, state), { env });
    const report = parseReport(final.stdout, final.stderr);
    expect(report.counts.failed).toBe(0);
    const audit = auditOrders(running.destination.orders(), seed, count);
    expect(audit.missing).toEqual([]);
    expect(audit.duplicated).toEqual([]);
    expect(audit.unexpected).toEqual([]);
    expect(audit.stored).toBe(want.distinctValidIds.length);
  }, 240_000);

  it('ends at a malformed file with exit 3, naming file and line, and sends nothing', async () => {
    mocks = await startFlagshipMocks({ count: 10, seed: 1 });
    const dir = await dirs.make();
    const rows = [...customersCsv(1, 10)].join('').split('\r\n');
    // Line 4 opens a quote it never closes.
    rows[3] = rows[3]!.replace(/,([^,]*)$/, ',"$1');
    const file = join(dir, 'customers.csv');
    await writeFile(file, rows.join('\r\n'));
    const result = await runFerry(runArgs(csvToOrders, join(dir, 'state')), {
      env: { ...mocks.env, SOURCE_FILE: file },
    });
    expect(result.code, result.stderr).toBe(3);
    expect(result.stderr).toMatch(/customers\.csv:4: a quoted field opened in this record is never closed/);
    expect(result.stderr).toContain('FERRY_ERR_SOURCE_MALFORMED');
    expect(mocks.destination.orders()).toEqual([]);
    expect(mocks.destination.stats().ordersStored).toBe(0);
  }, 60_000);
});

describe('examples/customers-to-csv.yaml', () => {
  it("writes every valid customer's order once, and a rerun writes nothing again", async () => {
    const seed = 9;
    const count = 400;
    mocks = await startFlagshipMocks({ count, seed, perPage: 50 });
    const dir = await dirs.make();
    const destFile = join(dir, 'out/orders.csv');
    const env = { ...mocks.env, DEST_FILE: destFile };
    const first = await runFerry(runArgs(toCsv, join(dir, 'state')), { env });
    expect(first.code, first.stderr).toBe(1);
    const second = await runFerry(runArgs(toCsv, join(dir, 'state')), { env });
    expect(second.code, second.stderr).toBe(0);
    // A lost ledger: the next run looks every order up in the file and writes none again.
    const third = await runFerry(runArgs(toCsv, join(dir, 'new-state')), { env });
    expect(parseReport(third.stdout, third.stderr).counts.delivered).toBe(
      expectedCustomers(seed, count).distinctValidIds.length,
    );
    const orders = await ordersInFile(destFile);
    const audit = auditOrders(orders, seed, count);
    expect([audit.missing, audit.duplicated, audit.unexpected]).toEqual([[], [], []]);
    expect(Object.keys(orders[0]!)).toEqual([
      'orderId',
      'customerInfo.id',
      'customerInfo.name',
      'customerInfo.contactEmail',
      'customerInfo.contactPhone',
      'shippingAddress.line1',
      'shippingAddress.city',
      'shippingAddress.region',
      'shippingAddress.postalCode',
      'orderDate',
    ]);
  }, 60_000);

  it('writes every valid order exactly once through faults and three kill -9s with reruns', async () => {
    const seed = 2468;
    const count = 3000;
    mocks = await startFlagshipMocks({
      count,
      seed,
      perPage: 50,
      sourceFaults: { latencyMs: 15, errorRate: 0.1, rateLimitedRate: 0.05, retryAfterSeconds: 0 },
    });
    const dir = await dirs.make();
    const destFile = join(dir, 'orders.csv');
    const state = join(dir, 'state');
    const env = { ...mocks.env, DEST_FILE: destFile };
    const want = expectedCustomers(seed, count);
    const stored = rowCounter(destFile);
    await killThreeTimes({ config: toCsv, state, env, stored, valid: want.distinctValidIds.length, seed });
    const final = await runFerry(runArgs(toCsv, state), { env });
    expect(parseReport(final.stdout, final.stderr).counts.failed).toBe(0);
    const audit = auditOrders(await ordersInFile(destFile), seed, count);
    expect(audit.missing).toEqual([]);
    expect(audit.duplicated).toEqual([]);
    expect(audit.unexpected).toEqual([]);
    // A torn row a kill left, if any, was moved aside whole: the file itself holds none.
    const torn = (await readdir(dir)).filter((name) => name.endsWith('.torn'));
    expect(torn.length).toBeLessThanOrEqual(1);
  }, 240_000);
});
