import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { flagshipConfig } from './support/ferry-cli.ts';
import { tempDirs } from './support/temp-dirs.ts';

const ferryBin = fileURLToPath(new URL('../bin/ferry.js', import.meta.url));
const dirs = tempDirs('ferry-startup-');
afterAll(() => dirs.removeAll());

/** The modules `ferry <args>` loads, recorded by a resolve hook in the ferry process itself. */
async function modulesLoadedBy(args: readonly string[], env: Record<string, string> = {}): Promise<string[]> {
  const dir = await dirs.make();
  const hook = join(dir, 'record-modules.mjs');
  const out = join(dir, 'modules.json');
  await writeFile(
    hook,
    "import { registerHooks } from 'node:module';\nimport { writeFileSync } from 'node:fs';\n" +
      'const urls = [];\n' +
      'registerHooks({ resolve: (s, c, next) => { const r = next(s, c); urls.push(r.url); return r; } });\n' +
      `process.on('exit', () => writeFileSync(${JSON.stringify(out)}, JSON.stringify(urls)));\n`,
  );
  await promisify(execFile)(process.execPath, ['--import', hook, ferryBin, ...args], {
    env: { ...process.env, ...env },
  });
  const { readFile } = await import('node:fs/promises');
  return JSON.parse(await readFile(out, 'utf8')) as string[];
}

describe('ferry --help', () => {
  // Listing the commands must not load what running them needs: every connector, the config schema, the
  // HTTP client, the ledgers. Each command loads its implementation when it runs.
  it('loads no connector, config schema, HTTP client or ledger', async () => {
    const urls = await modulesLoadedBy(['--help']);
    // The hook saw the command itself (built, it is one bundle: no cli/main module of its own).
    expect(urls.some((url) => url.endsWith('/bin/ferry.js'))).toBe(true);
    const heavy = urls.filter((url) =>
      /\/(connectors|integration|state|runtime|engine)\/|\/node_modules\/(zod|yaml|undici|csv-stringify|graphql|saxes|pg)\//.test(
        url,
      ),
    );
    expect(heavy).toEqual([]);
  });
});

describe('ferry validate', () => {
  // Validating the flagship needs its connectors' options and the mapping; not the connectors it does not
  // use (GraphQL, XML, CSV, webhooks), nor an HTTP client.
  it('loads no connector the integration does not use, and no HTTP client', async () => {
    const env = {
      SOURCE_URL: 'http://127.0.0.1:9/customers',
      DEST_URL: 'http://127.0.0.1:9/orders',
      DEST_TOKEN_URL: 'http://127.0.0.1:9/token',
      DEST_CLIENT_ID: 'id',
      DEST_CLIENT_SECRET: 'secret',
    };
    const urls = await modulesLoadedBy(['validate', flagshipConfig], env);
    expect(urls.some((url) => url.endsWith('/bin/ferry.js'))).toBe(true);
    const unused = urls.filter((url) =>
      /\/node_modules\/(graphql|fast-xml-parser|saxes|csv-parse|csv-stringify|standardwebhooks|undici)\//.test(
        url,
      ),
    );
    expect(unused).toEqual([]);
  });
});
