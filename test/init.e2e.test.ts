import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runFerry } from './support/ferry-cli.ts';
import { startFlagshipMocks } from './support/flagship-mocks.ts';
import { tempDirs } from './support/temp-dirs.ts';

const dirs = tempDirs('ferry-init-');
afterAll(() => dirs.removeAll());

describe('ferry init', () => {
  it('scaffolds an integration that validates and runs against the bundled mocks', async () => {
    const mocks = await startFlagshipMocks({ count: 30, perPage: 10 });
    try {
      const dir = join(await dirs.make(), 'shop');
      const init = await runFerry([
        'init',
        '--dir',
        dir,
        '--name',
        'shop-orders',
        '--source-url',
        mocks.env.SOURCE_URL!,
        '--dest-url',
        mocks.env.DEST_URL!,
        '--paging',
        'link_header',
      ]);
      expect(init.code, init.stderr).toBe(0);
      expect(init.stdout).toContain('shop-orders.yaml');
      const config = join(dir, 'shop-orders.yaml');
      const env = (await readFile(join(dir, '.env.example'), 'utf8'))
        .split('\n')
        .filter((line) => /^[A-Z_]+=/.test(line))
        .map((line) => line.split('=')[0]);
      expect(env).toEqual([
        'SOURCE_URL',
        'SOURCE_API_KEY',
        'DEST_URL',
        'DEST_TOKEN_URL',
        'DEST_CLIENT_ID',
        'DEST_CLIENT_SECRET',
        'DEST_SCOPE',
      ]);

      // The URLs given to init are the defaults; only credentials come from the environment.
      const credentials = {
        SOURCE_API_KEY: mocks.env.SOURCE_API_KEY!,
        DEST_TOKEN_URL: mocks.env.DEST_TOKEN_URL!,
        DEST_CLIENT_ID: mocks.env.DEST_CLIENT_ID!,
        DEST_CLIENT_SECRET: mocks.env.DEST_CLIENT_SECRET!,
      };
      const validate = await runFerry(['validate', config, '--json'], { env: credentials });
      expect(validate.code, validate.stdout).toBe(0);
      expect(JSON.parse(validate.stdout)).toMatchObject({ valid: true, errors: [] });

      const run = await runFerry(['run', config, '--state', await dirs.make(), '--json'], {
        env: credentials,
      });
      expect([0, 1], run.stderr).toContain(run.code);
      const report = JSON.parse(run.stdout);
      expect(report.counts.delivered).toBeGreaterThan(0);
      expect(mocks.destination.stats().distinctOrderIds).toBe(report.counts.delivered);
    } finally {
      await mocks.close();
    }
  });

  it('refuses to overwrite existing files and exits 2', async () => {
    const dir = await dirs.make();
    expect((await runFerry(['init', '--dir', dir, '--name', 'twice'])).code).toBe(0);
    const again = await runFerry(['init', '--dir', dir, '--name', 'twice']);
    expect(again.code).toBe(2);
    expect(again.stderr).toContain('refusing to overwrite');
    expect(again.stderr).toContain('twice.yaml');
  });

  it('refuses a bad name or URL with the flag at fault', async () => {
    const result = await runFerry([
      'init',
      '--dir',
      await dirs.make(),
      '--name',
      'Shop Orders',
      '--dest-url',
      'ftp://x',
      '--paging',
      'pages',
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--name "Shop Orders"');
    expect(result.stderr).toContain('--dest-url "ftp://x"');
    expect(result.stderr).toMatch(/--paging "pages" must be one of auto, none, link_header/);
  });
});
