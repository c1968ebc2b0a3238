import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectedCustomers } from '../src/mocks/index.ts';
import { writeBrokenFlagship } from './support/broken-flagship.ts';
import { flagshipConfig, runFerry } from './support/ferry-cli.ts';
import { type FlagshipMocks, startFlagshipMocks } from './support/flagship-mocks.ts';
import { tempDirs } from './support/temp-dirs.ts';

describe('dead letters: inspect, fix, replay', () => {
  const COUNT = 150;
  const SEED = 5;
  const expected = expectedCustomers(SEED, COUNT);
  const dirs = tempDirs('ferry-replay-');
  let mocks: FlagshipMocks;
  let dir: string;
  let state: string;

  beforeAll(async () => {
    mocks = await startFlagshipMocks({ count: COUNT, seed: SEED });
    dir = await dirs.make();
    state = join(dir, 'state');
  });
  afterAll(async () => {
    await mocks.close();
    await dirs.removeAll();
  });

  it('dead-letters every order the destination refuses, with its field-level reason', async () => {
    const broken = await writeBrokenFlagship(dir);
    const result = await runFerry(['run', broken, '--state', state, '--json', '--no-progress'], {
      env: mocks.env,
    });
    expect(result.code, result.stderr).toBe(1);
    expect(JSON.parse(result.stdout).counts).toMatchObject({
      delivered: 0,
      failed: expected.distinctValidIds.length,
      quarantined: expected.quarantined,
    });
    const failed = JSON.parse(
      (await runFerry(['dlq', 'list', '--state', state, '--kind', 'failed', '--json', '--limit', '1000']))
        .stdout,
    );
    expect(failed).toHaveLength(expected.distinctValidIds.length);
    const shown = await runFerry(['dlq', 'show', String(failed[0].id), '--state', state, '--json']);
    const letter = JSON.parse(shown.stdout);
    expect(letter.body.shippingAddress.region).toBe('');
    expect(letter.reasons.some((r: { field?: string }) => r.field?.includes('region'))).toBe(true);
  });

  it('replays them with the fixed mapping: delivered once each, letters resolved, dirty records stay', async () => {
    const result = await runFerry(['dlq', 'replay', flagshipConfig, '--state', state], { env: mocks.env });
    expect(result.stderr).toContain(`${expected.distinctValidIds.length} delivered`);
    expect(result.code).toBe(1);
    const open = JSON.parse(
      (await runFerry(['dlq', 'list', '--state', state, '--json', '--limit', '1000'])).stdout,
    );
    expect(open).toHaveLength(expected.quarantined);
    expect(open.every((l: { state: string }) => l.state === 'quarantined')).toBe(true);
    expect(mocks.destination.stats().distinctOrderIds).toBe(expected.distinctValidIds.length);
    expect(mocks.destination.stats().ordersStored).toBe(expected.distinctValidIds.length);
    const runs = JSON.parse((await runFerry(['runs', 'list', '--state', state, '--json'])).stdout);
    expect(runs).toHaveLength(2);
  });

  it('purge refuses without confirmation and deletes with --yes', async () => {
    const refused = await runFerry([
      'dlq',
      'purge',
      '--integration',
      'customers-to-orders',
      '--state',
      state,
    ]);
    expect(refused.code).toBe(2);
    const purged = await runFerry([
      'dlq',
      'purge',
      '--integration',
      'customers-to-orders',
      '--yes',
      '--state',
      state,
    ]);
    expect(purged.code).toBe(0);
    const left = JSON.parse((await runFerry(['dlq', 'list', '--all', '--state', state, '--json'])).stdout);
    expect(left).toHaveLength(0);
  });
});
