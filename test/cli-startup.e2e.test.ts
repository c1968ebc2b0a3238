import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDirs } from './support/temp-dirs.ts';

const ferryBin = fileURLToPath(new URL('../bin/ferry.js', import.meta.url));
const dirs = tempDirs('ferry-startup-');
afterAll(() => dirs.removeAll());

/** The modules `ferry <args>` loads, recorded by a resolve hook in the ferry process itself. */
async function modulesLoadedBy(args: readonly string[]): Promise<string[]> {
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
  await promisify(execFile)(process.execPath, ['--import', hook, ferryBin, ...args]);
  const { readFile } = await import('node:fs/promises');
  return JSON.parse(await readFile(out, 'utf8')) as string[];
}

describe('ferry --help', () => {
  // Listing the commands must not load what running them needs: every connector, the config schema, the
  // HTTP client, the ledgers. Each command loads its implementation when it runs.
  it('loads no connector, config schema, HTTP client or ledger', async () => {
    const urls = await modulesLoadedBy(['--help']);
    expect(urls.some((url) => url.includes('/cli/main.'))).toBe(true);
    const heavy = urls.filter((url) =>
      /\/(connectors|integration|state|runtime|engine)\/|\/node_modules\/(zod|yaml|undici|csv-stringify|graphql|saxes|pg)\//.test(
        url,
      ),
    );
    expect(heavy).toEqual([]);
  });
});
