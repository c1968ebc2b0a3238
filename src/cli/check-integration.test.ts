import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { flagshipConfig } from '../../test/support/ferry-cli.ts';
import { type FlagshipMocks, startFlagshipMocks } from '../../test/support/flagship-mocks.ts';
import { clearSecretsForTests } from '../core/secret-registry.ts';
import { loadIntegration } from '../integration/load-integration.ts';
import { checkExitCode, checkIntegration } from './check-integration.ts';

let mocks: FlagshipMocks;

beforeAll(async () => {
  mocks = await startFlagshipMocks({ count: 25, perPage: 10 });
});
afterAll(() => mocks.close());
afterEach(() => clearSecretsForTests());

async function check(env: Record<string, string> = {}) {
  const config = await loadIntegration(flagshipConfig, { ...mocks.env, ...env });
  return checkIntegration(config);
}

describe('checkIntegration', () => {
  it('fetches a token, reads one page and asks the destination, sending no record', async () => {
    const report = await check();
    expect(report.items.map((item) => [item.name, item.ok])).toEqual([
      ['source page', true],
      ['destination token', true],
      ['destination', true],
    ]);
    expect(report.items[0]?.detail).toMatch(/: 10 records, a next page exists, 25 announced in all$/);
    expect(report.items[1]?.detail).toContain(`token fetched from ${mocks.env.DEST_TOKEN_URL}`);
    expect(report.items[2]?.detail).toMatch(
      /^GET .*\/ferry-check-[0-9a-f-]+ \(lookup of a key that does not exist\): answered 404/,
    );
    expect(checkExitCode(report)).toBe(0);
    expect(mocks.destination.stats().ordersStored).toBe(0);
  });

  it('names a refused source key with the server reason and never the key', async () => {
    const report = await check({ SOURCE_API_KEY: 'wrong-key-8a7f6e5d' });
    const page = report.items.find((item) => item.name === 'source page');
    expect(page).toMatchObject({ ok: false, code: 'FERRY_ERR_HTTP_UNAUTHORIZED' });
    expect(page?.detail).toContain('401 Unauthorized');
    expect(JSON.stringify(report)).not.toContain('wrong-key-8a7f6e5d');
    expect(checkExitCode(report)).toBe(3);
  });

  it('names a refused OAuth client with the token endpoint reason and skips the destination request', async () => {
    const report = await check({ DEST_CLIENT_SECRET: 'not-the-secret-3c2b1a' });
    expect(report.items.map((item) => item.name)).toEqual(['source page', 'destination token']);
    const token = report.items[1];
    expect(token).toMatchObject({ ok: false, code: 'FERRY_ERR_AUTH_TOKEN' });
    expect(token?.detail).toMatch(
      /^requesting an access token from http:\/\/127\.0\.0\.1:\d+\/oauth\/token: HTTP 401/,
    );
    expect(token?.detail).toContain('check DEST_CLIENT_ID / DEST_CLIENT_SECRET');
    expect(JSON.stringify(report)).not.toContain('not-the-secret-3c2b1a');
    expect(checkExitCode(report)).toBe(3);
  });

  it('reports an unreachable destination as a failure with exit code 3', async () => {
    const report = await check({
      DEST_URL: 'http://127.0.0.1:9/api/v2/orders',
      DEST_TOKEN_URL: mocks.env.DEST_TOKEN_URL!,
    });
    const destination = report.items.find((item) => item.name === 'destination');
    expect(destination?.ok).toBe(false);
    expect(destination?.detail).toMatch(/ECONNREFUSED|refused|connect/i);
    expect(checkExitCode(report)).toBe(3);
  });
});
