import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { expectedCustomers } from '../src/mocks/index.ts';
import { flagshipConfig, runFerry } from './support/ferry-cli.ts';
import { type FlagshipMocks, startFlagshipMocks } from './support/flagship-mocks.ts';
import { startForwardingProxy } from './support/forwarding-proxy.ts';
import { tempDirs } from './support/temp-dirs.ts';

/** The flagship with an impatient breaker, so outages of a second or two exercise it. */
async function impatientFlagship(dir: string, maxPause: string): Promise<string> {
  const config = (await readFile(flagshipConfig, 'utf8'))
    .replace(/^mapping: \.\//m, `mapping: ${join(flagshipConfig, '..')}/`)
    .replace(
      /circuit_breaker: \{[^}]*\}/,
      `circuit_breaker: { consecutive_failures: 3, half_open_after: 300ms, max_pause: ${maxPause} }`,
    );
  const file = join(dir, 'impatient.yaml');
  await writeFile(file, config);
  return file;
}

/** A proxy in front of the order API that answers 503 to every order POST until `healthy()` says otherwise. */
function outageProxy(target: string, healthy: () => boolean) {
  return startForwardingProxy(target, {
    intercept: (req, res) => {
      if (req.method !== 'POST' || !req.url?.startsWith('/api/v2/orders') || healthy()) return false;
      req.resume();
      res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"down"}');
      return true;
    },
  });
}

describe('the circuit breaker, end to end', () => {
  const cleanups: Array<() => Promise<void>> = [];
  const dirs = tempDirs('ferry-breaker-');
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0)) await cleanup();
    await dirs.removeAll();
  });

  async function setUp(
    healthy: () => boolean,
  ): Promise<{ mocks: FlagshipMocks; env: Record<string, string>; dir: string }> {
    const mocks = await startFlagshipMocks({ count: 200, seed: 8, perPage: 50 });
    const proxy = await outageProxy(mocks.destination.origin, healthy);
    cleanups.push(proxy.close, mocks.close);
    const env = {
      ...mocks.env,
      DEST_URL: `${proxy.url}/api/v2/orders`,
      DEST_TOKEN_URL: `${proxy.url}/oauth/token`,
    };
    return { mocks, env, dir: await dirs.make() };
  }

  it('pauses through an outage instead of failing records, then delivers everything once', async () => {
    // Down for the first 20 order POSTs, counted rather than timed: a timed outage could end before the
    // child process (or the lookups a new ledger makes first) sent its first order on a busy machine.
    // 20 is more than the 16 sent at once, so the breaker surely opens.
    let posts = 0;
    const { mocks, env, dir } = await setUp(() => ++posts > 20);
    const config = await impatientFlagship(dir, '30s');
    const result = await runFerry(
      ['run', config, '--state', join(dir, 'state'), '--json', '--log-format', 'json'],
      { env },
    );
    const report = JSON.parse(result.stdout);
    const expected = expectedCustomers(8, 200);
    expect(result.stderr).toMatch(/circuit breaker open/);
    expect(report.counts.failed).toBe(0);
    expect(report.counts.delivered).toBe(expected.distinctValidIds.length);
    expect(mocks.destination.stats().distinctOrderIds).toBe(expected.distinctValidIds.length);
    expect(mocks.destination.stats().duplicates).toBe(0);
  }, 60_000);

  it('aborts with exit 3 when the destination stays down past max_pause, burning no record, and a rerun resumes', async () => {
    let up = false;
    const { mocks, env, dir } = await setUp(() => up);
    const config = await impatientFlagship(dir, '2s');
    const state = join(dir, 'state');
    const down = await runFerry(['run', config, '--state', state, '--json'], { env });
    expect(down.code).toBe(3);
    expect(down.stderr).toContain('FERRY_ERR_CIRCUIT_OPEN');
    expect(JSON.parse(down.stdout).counts.failed).toBe(0);
    const failedLetters = JSON.parse(
      (await runFerry(['dlq', 'list', '--state', state, '--kind', 'failed', '--json'])).stdout,
    );
    expect(failedLetters).toHaveLength(0);

    up = true;
    const rerun = await runFerry(['run', config, '--state', state, '--json'], { env });
    const expected = expectedCustomers(8, 200);
    expect(rerun.code).toBe(1);
    expect(mocks.destination.stats().distinctOrderIds).toBe(expected.distinctValidIds.length);
    expect(mocks.destination.stats().duplicates).toBe(0);
    expect(JSON.parse(rerun.stdout).counts.failed).toBe(0);
  });
});
