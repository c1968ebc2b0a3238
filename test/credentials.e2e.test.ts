import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flagshipConfig, runFerry } from './support/ferry-cli.ts';
import { type FlagshipMocks, startFlagshipMocks } from './support/flagship-mocks.ts';
import { startForwardingProxy } from './support/forwarding-proxy.ts';
import { tempDirs } from './support/temp-dirs.ts';

/** The flagship without its source `auth:` block, written beside the test's state. */
async function flagshipWithoutSourceAuth(dir: string): Promise<string> {
  const config = (await readFile(flagshipConfig, 'utf8'))
    .replace(/^mapping: \.\//m, `mapping: ${join(flagshipConfig, '..')}/`)
    .replace(/^ {2}auth:\n {4}type: api_key\n(?: {4}.*\n)+/m, '');
  if (config.includes('type: api_key')) throw new Error('the flagship changed: update this test');
  const file = join(dir, 'no-source-auth.yaml');
  await writeFile(file, config);
  return file;
}

describe('credentials, as a first contact meets them', () => {
  const dirs = tempDirs('ferry-credentials-');
  let mocks: FlagshipMocks;
  beforeAll(async () => {
    mocks = await startFlagshipMocks({ count: 40, seed: 5 });
  });
  afterAll(async () => {
    await mocks.close();
    await dirs.removeAll();
  });

  it("shows the token endpoint's reason and the variables to check when the secret is refused", async () => {
    const state = await dirs.make();
    const result = await runFerry(['run', flagshipConfig, '--state', state], {
      env: { ...mocks.env, DEST_CLIENT_SECRET: 'not-the-secret-9f2' },
    });
    expect(result.code, result.stderr).toBe(3);
    expect(result.stderr).toContain(
      'HTTP 401 invalid_client: unknown client or wrong secret; check DEST_CLIENT_ID / DEST_CLIENT_SECRET',
    );
    expect(result.stderr).not.toContain('not-the-secret-9f2');
  });

  it('runs a source that has no auth block', async () => {
    const dir = await dirs.make();
    const result = await viaKeyHoldingGateway(async (env) =>
      runFerry(['run', await flagshipWithoutSourceAuth(dir), '--state', dir, '--json'], { env }),
    );
    expect([0, 1], result.stderr).toContain(result.code);
    expect(JSON.parse(result.stdout).counts.read).toBe(40);
  });

  it('runs the flagship unchanged against a source that needs no key when SOURCE_API_KEY is unset', async () => {
    const dir = await dirs.make();
    const result = await viaKeyHoldingGateway((env) =>
      runFerry(['run', flagshipConfig, '--state', dir, '--json'], { env }),
    );
    expect([0, 1], result.stderr).toContain(result.code);
    expect(JSON.parse(result.stdout).counts.read).toBe(40);
  });

  it('says to add an auth block when a source without one is refused', async () => {
    const dir = await dirs.make();
    const { SOURCE_API_KEY: _, ...env } = mocks.env;
    const result = await runFerry(['run', await flagshipWithoutSourceAuth(dir), '--state', dir], { env });
    expect(result.code, result.stderr).toBe(3);
    expect(result.stderr).toContain(
      'source has no auth block, but the server wants credentials: add source.auth',
    );
  });

  it('names the empty variable when the flagship sent no key and the source wants one', async () => {
    const dir = await dirs.make();
    const { SOURCE_API_KEY: _, ...env } = mocks.env;
    const result = await runFerry(['run', flagshipConfig, '--state', dir], { env });
    expect(result.code, result.stderr).toBe(3);
    expect(result.stderr).toContain('no API key was sent because SOURCE_API_KEY is empty or unset: set it');
  });

  /** Runs with SOURCE_API_KEY unset, through a gateway in front of the customer API that holds its key. */
  async function viaKeyHoldingGateway<T>(run: (env: Record<string, string>) => Promise<T>): Promise<T> {
    const gateway = await startForwardingProxy(mocks.source.url, {
      addHeaders: { 'x-api-key': mocks.source.apiKey },
    });
    try {
      const { SOURCE_API_KEY: _, ...env } = mocks.env;
      return await run({ ...env, SOURCE_URL: `${gateway.url}${new URL(mocks.source.url).pathname}` });
    } finally {
      await gateway.close();
    }
  }
});
