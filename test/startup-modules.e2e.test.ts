import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { flagshipConfig, runFerry } from './support/ferry-cli.ts';
import { tempDirs } from './support/temp-dirs.ts';

const hook = fileURLToPath(new URL('./support/loaded-modules-hook.mjs', import.meta.url));
const dirs = tempDirs('ferry-modules-');
afterAll(() => dirs.removeAll());

/** The packages (node_modules/<name>) a `ferry` command loaded, start to exit. */
async function packagesLoadedBy(args: readonly string[], env: Record<string, string> = {}) {
  const list = join(await dirs.make(), 'modules.txt');
  const result = await runFerry(args, {
    env: { ...env, NODE_OPTIONS: `--import ${hook}`, FERRY_TEST_LOADED_MODULES: list },
  });
  expect(result.code, result.stderr).toBe(0);
  const urls = (await readFile(list, 'utf8')).split('\n');
  // The hook saw the command itself: an empty list would pass every test below.
  expect(urls.some((url) => url.endsWith('/bin/ferry.js'))).toBe(true);
  return new Set(urls.flatMap((url) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1] ?? []));
}

// What a command loads is most of its start-up: these pin down what each must not load. Behaviour, not
// time: the figures are in docs/performance.md.
describe('what a command loads', () => {
  it('ferry --help loads no parser, schema library or HTTP client', async () => {
    const loaded = await packagesLoadedBy(['--help']);
    for (const name of ['yaml', 'zod', 'ajv', 'undici', 'graphql', 'csv-stringify', 'pino'])
      expect(loaded, name).not.toContain(name);
  }, 60_000);

  it('ferry validate on the flagship loads no connector it does not use, and no HTTP client', async () => {
    const env = {
      SOURCE_URL: 'http://127.0.0.1:9/customers',
      DEST_URL: 'http://127.0.0.1:9/orders',
      DEST_TOKEN_URL: 'http://127.0.0.1:9/token',
      DEST_CLIENT_ID: 'id',
      DEST_CLIENT_SECRET: 'secret',
    };
    const loaded = await packagesLoadedBy(['validate', flagshipConfig], env);
    for (const name of [
      'graphql',
      'fast-xml-parser',
      'saxes',
      'csv-parse',
      'csv-stringify',
      'standardwebhooks',
      'undici',
    ])
      expect(loaded, name).not.toContain(name);
  }, 60_000);
});
