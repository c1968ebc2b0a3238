import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flagshipConfig, runFerry } from './support/ferry-cli.ts';
import { type FlagshipMocks, startFlagshipMocks } from './support/flagship-mocks.ts';
import { tempDirs } from './support/temp-dirs.ts';

let mocks: FlagshipMocks;
const dirs = tempDirs('ferry-check-');

beforeAll(async () => {
  mocks = await startFlagshipMocks({ count: 12 });
});
afterAll(async () => {
  await mocks.close();
  await dirs.removeAll();
});

describe('ferry check', () => {
  it('prints a passing checklist as JSON and exits 0 without sending a record', async () => {
    const result = await runFerry(['check', flagshipConfig, '--json'], { env: mocks.env });
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout);
    expect(report.ok).toBe(true);
    expect(report.items.map((item: { name: string }) => item.name)).toEqual([
      'source page',
      'destination token',
      'destination',
    ]);
    expect(report.items[0].detail).toContain('12 records, no next page');
    expect(mocks.destination.stats().ordersStored).toBe(0);
  });

  it('asks OPTIONS of the destination when no lookup is configured', async () => {
    const dir = await dirs.make();
    const text = (await readFile(flagshipConfig, 'utf8'))
      .replace(/\n {2}lookup:\n {4}url: .*\n/, '\n')
      .replace(
        './customers-to-orders.mapping.yaml',
        join(flagshipConfig, '../customers-to-orders.mapping.yaml'),
      );
    await writeFile(join(dir, 'no-lookup.yaml'), text);
    const result = await runFerry(['check', join(dir, 'no-lookup.yaml')], { env: mocks.env });
    expect(result.stdout).toMatch(
      /destination +OPTIONS http:\/\/127\.0\.0\.1:\d+\/api\/v2\/orders: answered/,
    );
    expect(result.code, result.stdout).toBe(0);
  });

  it('exits 3 with the reason when the source refuses the key, never printing it', async () => {
    const result = await runFerry(['check', flagshipConfig], {
      env: { ...mocks.env, SOURCE_API_KEY: 'bad-key-6f5e4d3c' },
    });
    expect(result.code).toBe(3);
    expect(result.stdout).toMatch(/FAIL source page +.*401 Unauthorized/);
    expect(result.stdout).toContain('Some checks failed; nothing was sent.');
    expect(result.stdout + result.stderr).not.toContain('bad-key-6f5e4d3c');
  });

  it('exits 2 when the integration file itself is not valid', async () => {
    const result = await runFerry(['check', flagshipConfig], { env: {} });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('DEST_CLIENT_SECRET');
  });
});
