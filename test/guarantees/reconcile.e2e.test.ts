import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { runIntegration } from '../../src/engine/run-integration.ts';
import { loadIntegration } from '../../src/integration/load-integration.ts';
import { expectedCustomers } from '../../src/mocks/index.ts';
import type { RunReport } from '../../src/observability/run-reporter.ts';
import { buildIntegration } from '../../src/runtime/build-integration.ts';
import { openSqliteLedger } from '../../src/state/sqlite-ledger.ts';
import { writeBrokenFlagship } from '../support/broken-flagship.ts';
import { flagshipConfig, runFerry } from '../support/ferry-cli.ts';
import { type FlagshipMocks, startFlagshipMocks } from '../support/flagship-mocks.ts';
import { tempDirs } from '../support/temp-dirs.ts';
import { auditOrders, parseReport } from './audit-orders.ts';

const examples = fileURLToPath(new URL('../../examples/', import.meta.url));
const SEED = 11;
const COUNT = 120;
const expected = expectedCustomers(SEED, COUNT);
const dirs = tempDirs('ferry-reconcile-');
let mocks: FlagshipMocks | undefined;

afterEach(async () => {
  await mocks?.close();
  mocks = undefined;
});
afterAll(() => dirs.removeAll());

/** Runs the integration in-process with a fixed clock, so each ledger's first-mapped time is a known day. */
async function runOn(state: string, day: string, configPath = flagshipConfig, limit?: number) {
  const config = await loadIntegration(configPath, mocks!.env);
  const runtime = await buildIntegration(config);
  const ledger = await openSqliteLedger(state);
  try {
    const result = await runIntegration({
      integration: config.name,
      source: runtime.source,
      sink: runtime.sink,
      mapper: runtime.mapping,
      ledger,
      concurrency: 8,
      ...(limit ? { limit } : {}),
      clock: () => new Date(`${day}T09:00:00Z`),
    });
    await ledger.finishRun(result.runId, result.status, { ...result.counts }, null);
    return result;
  } finally {
    await runtime.close();
    await ledger.close();
  }
}

/** The flagship with its destination block edited (lookup variants). */
async function flagshipVariant(edit: (yaml: string) => string): Promise<string> {
  const dir = await dirs.make();
  const yaml = edit(
    (await readFile(flagshipConfig, 'utf8')).replace(
      /^mapping: .*$/m,
      `mapping: ${join(examples, 'customers-to-orders.mapping.yaml')}`,
    ),
  );
  await writeFile(join(dir, 'variant.yaml'), yaml);
  return join(dir, 'variant.yaml');
}

/**
 * The flagship for a destination that may store a second copy: without `refuses_duplicates`, so a new
 * ledger looks up each record it does not know before sending it.
 */
async function storesDuplicatesConfig(): Promise<string> {
  const config = await flagshipVariant((yaml) => {
    const edited = yaml.replace(/^ {2}refuses_duplicates: true\n/m, '');
    if (edited === yaml) throw new Error('the flagship no longer says refuses_duplicates: true');
    return edited;
  });
  return config;
}

/** GET lookups the destination answered (found or not). */
function lookups(m: FlagshipMocks): number {
  return Object.values(m.destination.stats().requests['GET /api/v2/orders/:orderId'] ?? {}).reduce(
    (a, b) => a + b,
    0,
  );
}

function posts(m: FlagshipMocks): number {
  return Object.values(m.destination.stats().requests['POST /api/v2/orders'] ?? {}).reduce(
    (a, b) => a + b,
    0,
  );
}

describe('a new ledger never turns delivered records into failures or duplicates', () => {
  it('stores no second copy at a destination that ignores Idempotency-Key, when the job moves to a new ledger', async () => {
    mocks = await startFlagshipMocks({
      count: COUNT,
      seed: SEED,
      honourIdempotency: false,
      allowDuplicates: true,
    });
    const config = await storesDuplicatesConfig();
    const first = await runOn(await dirs.make(), '2026-03-01', config);
    expect(first.counts.delivered).toBe(expected.distinctValidIds.length);

    const second = await runOn(await dirs.make(), '2026-03-02', config);
    expect(second.counts).toMatchObject({ delivered: expected.distinctValidIds.length, failed: 0 });
    const audit = auditOrders(mocks.destination.orders(), SEED, COUNT);
    expect(audit.duplicated).toEqual([]);
    expect(audit.stored).toBe(expected.distinctValidIds.length);
  }, 120_000);

  it('keeps looking records up on a new ledger until a run has read the source to its end', async () => {
    mocks = await startFlagshipMocks({
      count: COUNT,
      seed: SEED,
      honourIdempotency: false,
      allowDuplicates: true,
    });
    const config = await storesDuplicatesConfig();
    await runOn(await dirs.make(), '2026-03-01', config);
    const state = await dirs.make();
    // A first run on the new ledger that stops early (a --limit here; a kill -9 or an abort alike) leaves
    // most records unknown to it: the next run must still look them up, not take them for new.
    const partial = await runOn(state, '2026-03-02', config, 30);
    expect(partial.counts.read).toBe(30);
    const rest = await runOn(state, '2026-03-02', config);
    expect(rest.counts.failed).toBe(0);
    const audit = auditOrders(mocks.destination.orders(), SEED, COUNT);
    expect(audit.duplicated).toEqual([]);
    expect(audit.stored).toBe(expected.distinctValidIds.length);
  }, 120_000);

  it('reconciles records as delivered against the bundled API, where the key was used with another orderDate', async () => {
    mocks = await startFlagshipMocks({ count: COUNT, seed: SEED });
    await runOn(await dirs.make(), '2026-03-01');
    const state = await dirs.make();
    const second = await runOn(state, '2026-03-02');
    expect(second.counts).toMatchObject({ delivered: expected.distinctValidIds.length, failed: 0 });
    expect(mocks.destination.stats().ordersStored).toBe(expected.distinctValidIds.length);
    // The new ledger keeps the first delivery's orderDate, as the destination holds it.
    const ledger = await openSqliteLedger(state);
    try {
      const rows = [...(await ledger.getRecords('customers-to-orders', expected.distinctValidIds)).values()];
      expect(new Set(rows.map((r) => r.firstMappedAt))).toEqual(new Set(['2026-03-01T09:00:00Z']));
    } finally {
      await ledger.close();
    }
  }, 120_000);

  it('sends without lookups at a destination that refuses duplicates, and compares what it refuses on a new ledger', async () => {
    // Keys ignored, duplicates refused with 409 and the order held: the refusal alone proves the order is there.
    mocks = await startFlagshipMocks({ count: COUNT, seed: SEED, honourIdempotency: false });
    const first = await runOn(await dirs.make(), '2026-03-01');
    expect(first.counts).toMatchObject({ delivered: expected.distinctValidIds.length, failed: 0 });
    expect(lookups(mocks)).toBe(0);
    expect(posts(mocks)).toBe(expected.distinctValidIds.length);

    // The job moves to a new ledger: every order is sent again, refused, and compared with the 409's order.
    const state = await dirs.make();
    const second = await runOn(state, '2026-03-02');
    expect(second.counts).toMatchObject({ delivered: expected.distinctValidIds.length, failed: 0 });
    expect(lookups(mocks)).toBe(0);
    expect(mocks.destination.stats().requests['POST /api/v2/orders']?.['409']).toBe(
      expected.distinctValidIds.length,
    );
    expect(mocks.destination.stats().ordersStored).toBe(expected.distinctValidIds.length);
    // The first delivery's orderDate, as the 409 carried it, not the new ledger's.
    const ledger = await openSqliteLedger(state);
    try {
      const rows = [...(await ledger.getRecords('customers-to-orders', expected.distinctValidIds)).values()];
      expect(new Set(rows.map((r) => r.firstMappedAt))).toEqual(new Set(['2026-03-01T09:00:00Z']));
    } finally {
      await ledger.close();
    }
  }, 120_000);

  it('reconciles a 422 idempotency_key_reused through a collection lookup when records are not looked up first', async () => {
    mocks = await startFlagshipMocks({ count: COUNT, seed: SEED });
    const config = await flagshipVariant((yaml) =>
      yaml.replace(
        // biome-ignore lint/suspicious/noTemplateCurlyInString: ${DEST_URL} is the config's reference syntax
        'url: ${DEST_URL}/{orderId}',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: ${DEST_URL} is the config's reference syntax
        'url: ${DEST_URL}?orderId={orderId}\n    records_path: orders\n    before_send: never',
      ),
    );
    const first = await runOn(await dirs.make(), '2026-03-01', config);
    expect(first.counts).toMatchObject({ delivered: expected.distinctValidIds.length, failed: 0 });
    const second = await runOn(await dirs.make(), '2026-03-02', config);
    expect(second.counts).toMatchObject({ delivered: expected.distinctValidIds.length, failed: 0 });
    const statuses = mocks.destination.stats().requests['POST /api/v2/orders'] ?? {};
    expect(statuses['422']).toBe(expected.distinctValidIds.length);
    expect(mocks.destination.stats().ordersStored).toBe(expected.distinctValidIds.length);
  }, 120_000);
});

describe('an ambiguous outcome is looked up before it is resent', () => {
  it('stores no duplicate when the destination stores the order, answers 500 and ignores Idempotency-Key', async () => {
    mocks = await startFlagshipMocks({
      count: COUNT,
      seed: SEED,
      honourIdempotency: false,
      allowDuplicates: true,
      destinationFaults: { errorAfterStoreRate: 0.3 },
    });
    // The flagship says the destination refuses duplicates, which this one does not: no record is looked
    // up before its first send, so only the lookup before each resend keeps the 500s from duplicating.
    const state = await dirs.make();
    const result = await runFerry(
      ['run', flagshipConfig, '--state', state, '--json', '--no-progress', '--log-level', 'error'],
      { env: mocks.env },
    );
    const report = parseReport(result.stdout, result.stderr);
    expect(report.counts).toMatchObject({ delivered: expected.distinctValidIds.length, failed: 0 });
    expect(mocks.destination.stats().errorsAfterStore).toBeGreaterThan(0);
    const audit = auditOrders(mocks.destination.orders(), SEED, COUNT);
    expect(audit.duplicated).toEqual([]);
    expect(audit.missing).toEqual([]);
  }, 120_000);
});

describe('dry run', () => {
  it('counts what a real run would skip (delivered before, repeated in the source) as skips', async () => {
    mocks = await startFlagshipMocks({ count: COUNT, seed: SEED });
    const state = await dirs.make();
    const fresh = await runFerry(
      ['run', flagshipConfig, '--dry-run', '--state', state, '--log-level', 'error'],
      {
        env: mocks.env,
      },
    );
    expect(JSON.parse(fresh.stdout)).toMatchObject({
      wouldSend: expected.distinctValidIds.length,
      wouldSkip: expected.duplicates,
      duplicatesInSource: expected.duplicates,
    });
    await runFerry(['run', flagshipConfig, '--state', state, '--no-progress', '--log-level', 'error'], {
      env: mocks.env,
    });
    const after = await runFerry(
      ['run', flagshipConfig, '--dry-run', '--state', state, '--log-level', 'error'],
      {
        env: mocks.env,
      },
    );
    expect(JSON.parse(after.stdout)).toMatchObject({
      read: COUNT,
      wouldSend: 0,
      deliveredBefore: expected.distinctValidIds.length,
      wouldSkip: expected.distinctValidIds.length + expected.duplicates,
      wouldQuarantine: expected.quarantined,
    });
  }, 120_000);
});

describe('known problems are not new problems', () => {
  it('reports a dirty record read again as still quarantined, exit 0; after a purge it is new again, exit 1', async () => {
    mocks = await startFlagshipMocks({ count: COUNT, seed: SEED });
    const state = await dirs.make();
    const run = async () => {
      const result = await runFerry(
        ['run', flagshipConfig, '--state', state, '--json', '--no-progress', '--log-level', 'error'],
        { env: mocks!.env },
      );
      return {
        code: result.code,
        report: parseReport(result.stdout, result.stderr) as unknown as RunReport,
      };
    };
    const letters = async () =>
      JSON.parse((await runFerry(['dlq', 'list', '--state', state, '--json', '--limit', '1000'])).stdout)
        .length as number;

    const first = await run();
    expect(first.code).toBe(1);
    expect(first.report.deadLetters.total).toBe(expected.quarantined);
    expect(await letters()).toBe(expected.quarantined);

    const second = await run();
    expect(second.code).toBe(0);
    expect(second.report.status).toBe('completed_with_errors');
    expect(second.report.counts.quarantined).toBe(expected.quarantined);
    expect(second.report.known).toEqual({ stillQuarantined: expected.quarantined, stillFailed: 0 });
    expect(second.report.deadLetters.total).toBe(0);
    expect(await letters()).toBe(expected.quarantined);

    await runFerry(['dlq', 'purge', '--integration', 'customers-to-orders', '--yes', '--state', state]);
    const third = await run();
    expect(third.code).toBe(1);
    expect(third.report.known).toEqual({ stillQuarantined: 0, stillFailed: 0 });
    expect(third.report.deadLetters.total).toBe(expected.quarantined);
    expect(await letters()).toBe(expected.quarantined);
  }, 120_000);
});

describe('dlq replay after the mapping is fixed', () => {
  it('delivers a fixed body under a new key generation where the destination keeps refused keys', async () => {
    mocks = await startFlagshipMocks({ count: COUNT, seed: SEED, saveRejections: true });
    const dir = await dirs.make();
    const state = join(dir, 'state');
    const broken = await writeBrokenFlagship(dir);
    const run = await runFerry(['run', broken, '--state', state, '--no-progress', '--log-level', 'error'], {
      env: mocks.env,
    });
    expect(run.code).toBe(1);

    const replay = await runFerry(['dlq', 'replay', flagshipConfig, '--state', state, '--kind', 'failed'], {
      env: mocks.env,
    });
    expect(replay.stderr).toContain(`${expected.distinctValidIds.length} delivered`);
    expect(replay.code).toBe(0);
    const audit = auditOrders(mocks.destination.orders(), SEED, COUNT);
    expect(audit).toMatchObject({ missing: [], duplicated: [], stored: expected.distinctValidIds.length });

    const ledger = await openSqliteLedger(state);
    try {
      const rows = await ledger.getRecords('customers-to-orders', expected.distinctValidIds);
      expect([...rows.values()].every((r) => r.state === 'delivered' && r.keyGeneration === 1)).toBe(true);
    } finally {
      await ledger.close();
    }
  }, 120_000);

  it('finds a record already stored (by a run recorded elsewhere) instead of sending it again', async () => {
    mocks = await startFlagshipMocks({ count: COUNT, seed: SEED });
    const dir = await dirs.make();
    const state = join(dir, 'state');
    const broken = await writeBrokenFlagship(dir);
    await runFerry(['run', broken, '--state', state, '--no-progress', '--log-level', 'error'], {
      env: mocks.env,
    });
    // The fixed integration ran from another directory and delivered everything.
    await runFerry(['run', flagshipConfig, '--state', join(dir, 'elsewhere'), '--no-progress'], {
      env: mocks.env,
    });
    const before = posts(mocks);

    const replay = await runFerry(['dlq', 'replay', flagshipConfig, '--state', state, '--kind', 'failed'], {
      env: mocks.env,
    });
    expect(replay.stderr).toContain(`${expected.distinctValidIds.length} delivered`);
    expect(posts(mocks)).toBe(before);
    expect(mocks.destination.stats().ordersStored).toBe(expected.distinctValidIds.length);
  }, 120_000);
});
