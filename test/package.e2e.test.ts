import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from './support/ferry-cli.ts';
import { flagshipPlaceholderEnv } from './support/flagship-env.ts';
import { tempDirs } from './support/temp-dirs.ts';

const run = promisify(execFile);
const dirs = tempDirs('ferry-package-');
afterAll(() => dirs.removeAll());

/** The consumer's Node is the Node 24 ferry needs; npm and the shell come from the system. */
const env = {
  PATH: `${join(repoRoot, 'node_modules/.bin')}:${process.env.PATH ?? ''}`,
  HOME: process.env.HOME ?? '/root',
  NO_COLOR: '1',
};

interface PackResult {
  readonly filename: string;
  readonly integrity: string;
  readonly files: readonly { readonly path: string }[];
}

/**
 * A lockfile for a project that depends on the tarball alone, its dependencies pinned to the versions and
 * integrity hashes of this repository's lockfile: `npm ci --offline` then installs them from the npm cache
 * this repository's `npm ci` filled, without asking the registry anything.
 */
async function consumerLockfile(tarball: string, integrity: string): Promise<unknown> {
  const repoLock = JSON.parse(await readFile(join(repoRoot, 'package-lock.json'), 'utf8'));
  const manifest = JSON.parse(await readFile(join(repoRoot, 'package.json'), 'utf8'));
  const packages: Record<string, unknown> = {
    '': { name: 'consumer', dependencies: { ferry: `file:${tarball}` } },
    'node_modules/ferry': {
      version: manifest.version,
      resolved: `file:${tarball}`,
      integrity,
      dependencies: manifest.dependencies,
      bin: manifest.bin,
    },
  };
  for (const [path, entry] of Object.entries(repoLock.packages as Record<string, { dev?: boolean }>)) {
    if (path.startsWith('node_modules/') && !entry.dev) packages[path] = entry;
  }
  return { name: 'consumer', lockfileVersion: 3, requires: true, packages };
}

describe('the published package', () => {
  it('installs from its tarball into an empty project, where npx ferry and import from "ferry" work', async () => {
    const out = await dirs.make();
    // As after running an example in place: its ledger lies beside it, and must not ship.
    const exampleLedger = join(repoRoot, 'examples/.ferry');
    const leftLedger = existsSync(exampleLedger);
    if (!leftLedger) {
      await mkdir(exampleLedger);
      await writeFile(join(exampleLedger, 'ferry.db'), 'a ledger left by a run in place');
    }
    // `npm pack` runs `prepare`, which builds dist/ from the current sources.
    const packed = await run('npm', ['pack', '--json', '--pack-destination', out], {
      cwd: repoRoot,
      env,
    }).finally(() => (leftLedger ? undefined : rm(exampleLedger, { recursive: true, force: true })));
    const [pack] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as PackResult[];
    const paths = pack!.files.map((f) => f.path);
    expect(paths).toContain('dist/index.js');
    expect(paths).toContain('dist/index.d.ts');
    expect(paths).toContain('dist/server/operations/assets/app.js');
    expect(paths).toContain('bin/ferry.js');
    expect(paths).toContain('examples/customers-to-orders.yaml');
    expect(paths).toContain('schema/integration.schema.json');
    // A ledger left by running the examples in place holds records (personal data) and would make a copied
    // example skip everything: it never ships.
    expect(paths.filter((p) => p.includes('.ferry/'))).toEqual([]);
    expect(paths.filter((p) => p.startsWith('src/') || /\.test\.|\.map$/.test(p))).toEqual([]);

    const project = await dirs.make();
    const tarball = join(out, pack!.filename);
    await writeFile(
      join(project, 'package.json'),
      JSON.stringify({
        name: 'consumer',
        private: true,
        type: 'module',
        dependencies: { ferry: `file:${tarball}` },
      }),
    );
    await writeFile(
      join(project, 'package-lock.json'),
      JSON.stringify(await consumerLockfile(tarball, pack!.integrity)),
    );
    const installed = await run('npm', ['ci', '--offline', '--no-audit', '--no-fund'], {
      cwd: project,
      env,
    }).catch((error: { stderr?: string }) => {
      throw new Error(
        `npm ci --offline failed; this test installs ferry's dependencies from the npm cache that \`npm ci\` ` +
          `in the repository fills:\n${error.stderr ?? String(error)}`,
      );
    });
    expect(installed.stdout).toMatch(/added \d+ packages/);

    const help = await run('npx', ['--offline', 'ferry', '--help'], { cwd: project, env });
    expect(help.stdout).toContain('Usage: ferry');

    // The schema the examples name on their first line ships beside them, and `ferry schema` prints it.
    const schema = await run('npx', ['--offline', 'ferry', 'schema'], { cwd: project, env });
    expect(JSON.parse(schema.stdout).title).toBe('ferry integration');

    const withSecrets = { ...env, ...flagshipPlaceholderEnv };
    const yaml = await run(
      'npx',
      ['--offline', 'ferry', 'validate', 'node_modules/ferry/examples/customers-to-orders.yaml'],
      {
        cwd: project,
        env: withSecrets,
      },
    );
    expect(yaml.stdout).toContain('is valid: integration "customers-to-orders"');

    // The TypeScript example, copied into the project as a user would start from it, imports from 'ferry'.
    await cp(join(project, 'node_modules/ferry/examples'), project, { recursive: true });
    const code = await run('npx', ['--offline', 'ferry', 'validate', 'customers-to-orders.ts'], {
      cwd: project,
      env: withSecrets,
    });
    expect(code.stdout).toContain('customers-to-orders.ts is valid');

    await writeFile(
      join(project, 'use.mjs'),
      "import { defineIntegration, envRef, loadIntegration } from 'ferry';\n" +
        "console.log(typeof defineIntegration, envRef('X'), typeof loadIntegration);\n",
    );
    const imported = await run('node', ['use.mjs'], { cwd: project, env });
    // biome-ignore lint/suspicious/noTemplateCurlyInString: envRef returns the config's reference syntax.
    expect(imported.stdout.trim()).toBe('function ${X} function');

    // The library entry loads no server; the mock APIs come from `ferry/testing`.
    await writeFile(
      join(project, 'testing.mjs'),
      "import { registerHooks } from 'node:module';\n" +
        'const resolved = [];\n' +
        'registerHooks({ resolve: (specifier, context, next) => { const r = next(specifier, context); resolved.push(r.url); return r; } });\n' +
        "const loadsFastify = () => resolved.some((url) => url.includes('/node_modules/fastify/'));\n" +
        "const ferry = await import('ferry');\n" +
        'console.log(typeof ferry.runJob, loadsFastify());\n' +
        "const testing = await import('ferry/testing');\n" +
        'console.log(typeof testing.startMockSource, loadsFastify());\n',
    );
    const testing = await run('node', ['testing.mjs'], { cwd: project, env });
    expect(testing.stdout.trim().split('\n')).toEqual(['function false', 'function true']);
  }, 120_000);
});
