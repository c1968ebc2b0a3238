import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectedCustomers } from '../src/mocks/index.ts';
import { flagshipConfig, runFerry } from './support/ferry-cli.ts';
import { type FlagshipMocks, startFlagshipMocks } from './support/flagship-mocks.ts';
import { tempDirs } from './support/temp-dirs.ts';

const COUNT = 100;
const SEED = 11;
const dirs = tempDirs('ferry-records-');
afterAll(() => dirs.removeAll());

describe('ferry records show', () => {
  let mocks: FlagshipMocks;
  let state: string;
  let runIds: string[];
  beforeAll(async () => {
    mocks = await startFlagshipMocks({ count: COUNT, seed: SEED });
    state = await dirs.make();
    // The first run quarantines the dirty records (exit 1); the second finds them quarantined as before, a
    // known problem (exit 0).
    for (const expectedCode of [1, 0]) {
      const run = await runFerry(['run', flagshipConfig, '--state', state, '--no-progress'], {
        env: mocks.env,
      });
      expect(run.code, run.stderr).toBe(expectedCode);
    }
    const runs = JSON.parse((await runFerry(['runs', 'list', '--state', state, '--json'])).stdout);
    runIds = runs.map((r: { id: string }) => r.id).reverse();
  });
  afterAll(() => mocks.close());

  it('shows a delivered record: marked in flight, then delivered, by the run that sent it', async () => {
    const key = String(expectedCustomers(SEED, COUNT).distinctValidIds[0]);
    const result = await runFerry(['records', 'show', key, '--state', state, '--json']);
    expect(result.code, result.stderr).toBe(0);
    const [report, ...others] = JSON.parse(result.stdout);
    expect(others).toEqual([]);
    expect(report).toMatchObject({
      integration: 'customers-to-orders',
      key,
      state: 'delivered',
      attempts: 1,
    });
    expect(report.runs).toHaveLength(1);
    expect(report.runs[0]).toMatchObject({ runId: runIds[0], status: 'completed_with_errors' });
    expect(report.runs[0].changes.map((c: { state: string }) => c.state)).toEqual(['in_flight', 'delivered']);
    expect(report.runs[0].changes[0].bodyHash).toMatch(/^[0-9a-f]{32,}$/);
    expect(report.deadLetters).toEqual([]);
  });

  it('shows a quarantined record in every run that read it, with its reason and its one dead letter', async () => {
    const letters = JSON.parse((await runFerry(['dlq', 'list', '--state', state, '--json'])).stdout);
    const letter = letters.find((l: { state: string }) => l.state === 'quarantined');
    const result = await runFerry(['records', 'show', letter.key, '--state', state, '--json']);
    const [report] = JSON.parse(result.stdout);
    expect(report.state).toBe('quarantined');
    expect(report.runs.map((r: { runId: string }) => r.runId)).toEqual(runIds);
    for (const run of report.runs) {
      expect(run.changes).toMatchObject([{ state: 'quarantined', reason: letter.reasons[0].message }]);
    }
    expect(report.deadLetters).toMatchObject([{ id: letter.id, runId: runIds[0], reasons: letter.reasons }]);

    const text = await runFerry(['records', 'show', letter.key, '--state', state]);
    expect(text.stdout).toContain(`record ${letter.key} of customers-to-orders: quarantined`);
    expect(text.stdout).toContain(`run ${runIds[1]} (completed_with_errors`);
    expect(text.stdout).toContain(`#${letter.id}  quarantined`);
  });

  it('says so, with exit 2, when the ledger has no such record', async () => {
    const result = await runFerry(['records', 'show', 'no-such-key', '--state', state]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`no record no-such-key in ${state}`);
  });
});
