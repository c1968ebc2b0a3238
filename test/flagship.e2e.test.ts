import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectedCustomers } from '../src/mocks/index.ts';
import { flagshipConfig, runFerry } from './support/ferry-cli.ts';
import { type FlagshipMocks, startFlagshipMocks } from './support/flagship-mocks.ts';
import { tempDirs } from './support/temp-dirs.ts';

const COUNT = 600;
const SEED = 11;
const dirs = tempDirs('ferry-e2e-');
const tempDir = dirs.make;
afterAll(() => dirs.removeAll());

function ordersPerId(mocks: FlagshipMocks): Map<string, number> {
  const counts = new Map<string, number>();
  for (const order of mocks.destination.orders())
    counts.set(order.orderId, (counts.get(order.orderId) ?? 0) + 1);
  return counts;
}

describe('the flagship integration, run as a user runs it', () => {
  const expected = expectedCustomers(SEED, COUNT);
  let mocks: FlagshipMocks;
  let state: string;

  beforeAll(async () => {
    mocks = await startFlagshipMocks({ count: COUNT, seed: SEED, perPage: 50 });
    state = await tempDir();
  });
  afterAll(() => mocks.close());

  it('delivers every valid customer once, quarantines the dirty ones with reasons, and exits 1', async () => {
    const report = join(state, 'report.json');
    const result = await runFerry(['run', flagshipConfig, '--state', state, '--report', report], {
      env: mocks.env,
    });
    expect(result.code, result.stderr).toBe(1);
    const written = JSON.parse(await readFile(report, 'utf8'));
    expect(written.counts).toEqual({
      read: COUNT,
      delivered: expected.distinctValidIds.length,
      skipped: expected.duplicates,
      quarantined: expected.quarantined,
      failed: 0,
    });
    const perId = ordersPerId(mocks);
    expect(perId.size).toBe(expected.distinctValidIds.length);
    expect([...perId.values()].every((n) => n === 1)).toBe(true);
    expect(new Set(perId.keys())).toEqual(new Set(expected.distinctValidIds.map((id) => `ORD-${id}`)));
    expect(written.deadLetters.records.every((r: { reasons: unknown[] }) => r.reasons.length > 0)).toBe(true);
    // Off a terminal: JSON lines only, no table; the summary's figures are in the last line.
    const lines = result.stderr.trim().split('\n');
    for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow();
    expect(JSON.parse(lines.at(-1) ?? '{}')).toMatchObject({
      msg: 'run finished',
      counts: { quarantined: expected.quarantined },
    });
  });

  it('a rerun skips everything delivered and sends nothing', async () => {
    const before = mocks.destination.stats().requests['POST /api/v2/orders'] ?? {};
    const result = await runFerry(['run', flagshipConfig, '--state', state, '--json', '--no-progress'], {
      env: mocks.env,
    });
    // The dirty records are quarantined as before (known problems): nothing new, so exit code 0.
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.known.stillQuarantined).toBe(expected.quarantined);
    expect(report.counts.delivered).toBe(0);
    expect(report.counts.skipped).toBe(expected.distinctValidIds.length + expected.duplicates);
    expect(mocks.destination.stats().requests['POST /api/v2/orders']).toEqual(before);
  });

  it('lists the quarantined records with their reasons in the dead-letter store', async () => {
    const result = await runFerry(['dlq', 'list', '--state', state, '--json', '--limit', '1000']);
    expect(result.code).toBe(0);
    const letters = JSON.parse(result.stdout);
    expect(letters).toHaveLength(expected.quarantined);
    expect(letters.every((l: { reasons: { message: string }[] }) => l.reasons[0]!.message.length > 0)).toBe(
      true,
    );
  });

  it('--dry-run maps and validates but sends nothing', async () => {
    const fresh = await startFlagshipMocks({ count: 50, seed: SEED });
    try {
      const result = await runFerry(['run', flagshipConfig, '--dry-run', '--state', await tempDir()], {
        env: fresh.env,
      });
      expect(result.code).toBe(0);
      const preview = JSON.parse(result.stdout);
      expect(preview.read).toBe(50);
      expect(preview.sampleOrders[0].orderId).toMatch(/^ORD-/);
      expect(fresh.destination.stats().ordersStored).toBe(0);
      expect(fresh.destination.stats().requests['POST /api/v2/orders']).toBeUndefined();
    } finally {
      await fresh.close();
    }
  });
});

describe('the same file against a second, independently configured setup', () => {
  it('works by environment variables alone: other ports, other credentials, a source that does not paginate', async () => {
    const other = await startFlagshipMocks({ count: 120, seed: 99 });
    try {
      // No ?per_page: the source answers one array and sends no Link header.
      expect(other.env.SOURCE_URL).not.toContain('per_page');
      const result = await runFerry(['run', flagshipConfig, '--state', await tempDir(), '--json'], {
        env: { ...other.env, DEST_SCOPE: 'orders:write' },
      });
      const expected = expectedCustomers(99, 120);
      expect([0, 1]).toContain(result.code);
      expect(JSON.parse(result.stdout).counts.delivered).toBe(expected.distinctValidIds.length);
      expect(other.destination.stats().distinctOrderIds).toBe(expected.distinctValidIds.length);
    } finally {
      await other.close();
    }
  });
});

describe('configuration and usage errors', () => {
  it('names every missing environment variable at once and exits 2 without sending anything', async () => {
    const result = await runFerry(['run', flagshipConfig], { env: { SOURCE_URL: 'http://127.0.0.1:9/x' } });
    expect(result.code).toBe(2);
    // SOURCE_API_KEY is not among them: the file gives it a default of nothing (a source without a key).
    for (const name of ['DEST_URL', 'DEST_TOKEN_URL', 'DEST_CLIENT_ID', 'DEST_CLIENT_SECRET']) {
      expect(result.stderr).toContain(name);
    }
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('refuses plain http to a non-loopback host with exit 2', async () => {
    const env = {
      SOURCE_URL: 'http://crm.example.com/api/v1/customers',
      SOURCE_API_KEY: 'k-123456789',
      DEST_URL: 'https://shop.example.com/api/v2/orders',
      DEST_TOKEN_URL: 'https://shop.example.com/oauth/token',
      DEST_CLIENT_ID: 'id',
      DEST_CLIENT_SECRET: 'secret-123456789',
    };
    const result = await runFerry(['validate', flagshipConfig], { env });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/customers-to-orders\.yaml:\d+:\d+ source\.url: .*crm\.example\.com/);
    expect(result.stderr).not.toContain('secret-123456789');
  });

  it('exits 3 when the source refuses the API key', async () => {
    const mocks = await startFlagshipMocks({ count: 10 });
    try {
      const result = await runFerry(['run', flagshipConfig, '--state', await tempDir()], {
        env: { ...mocks.env, SOURCE_API_KEY: 'wrong-key-000000' },
      });
      expect(result.code).toBe(3);
      expect(result.stderr).toMatch(/401/);
      expect(mocks.destination.stats().ordersStored).toBe(0);
    } finally {
      await mocks.close();
    }
  });

  it('answers --help on every command with exit 0', async () => {
    for (const args of [
      ['--help'],
      ['run', '--help'],
      ['validate', '--help'],
      ['dlq', '--help'],
      ['runs', '--help'],
      ['mock', '--help'],
    ]) {
      const result = await runFerry(args);
      expect(result.code, args.join(' ')).toBe(0);
      expect(result.stdout).toContain('Usage: ferry');
    }
  });
});
