import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { tempDirs } from '../../test/support/temp-dirs.ts';
import { clearSecretsForTests } from '../core/secret-registry.ts';
import { validateIntegration } from '../integration/validate-integration.ts';
import { DEST_AUTH_CHOICES, SOURCE_AUTH_CHOICES } from './scaffold-choices.ts';
import { pagingChoices, scaffoldIntegration, writeScaffold } from './scaffold-integration.ts';

const dirs = tempDirs('ferry-scaffold-');
afterAll(() => dirs.removeAll());
afterEach(() => clearSecretsForTests());

const env = {
  SOURCE_URL: 'https://crm.example.com/customers',
  SOURCE_API_KEY: 'k-1',
  SOURCE_TOKEN: 't-1',
  DEST_URL: 'https://shop.example.com/orders',
  DEST_TOKEN_URL: 'https://shop.example.com/token',
  DEST_CLIENT_ID: 'id',
  DEST_CLIENT_SECRET: 's-1',
  DEST_TOKEN: 't-2',
};

describe('scaffoldIntegration', () => {
  it('writes a config that validates for every auth pair and paging style', async () => {
    const paging = pagingChoices();
    expect(paging).toEqual(expect.arrayContaining(['auto', 'link_header', 'page_number', 'cursor']));
    for (const sourceAuth of SOURCE_AUTH_CHOICES) {
      for (const destAuth of DEST_AUTH_CHOICES) {
        const dir = await dirs.make();
        const type = paging[(sourceAuth.length + destAuth.length) % paging.length]!;
        const answers = { name: 'x', sourceAuth, destAuth, paging: type };
        await writeScaffold(dir, await scaffoldIntegration(answers, dir));
        const report = await validateIntegration(join(dir, 'x.yaml'), { env });
        expect(report.errors, `${sourceAuth} -> ${destAuth}, ${type}`).toEqual([]);
        expect(report.valid).toBe(true);
      }
    }
  });

  it('names the shipped JSON Schema on the first line and lists only the variables it reads', async () => {
    const dir = await dirs.make();
    const answers = { name: 'y', sourceAuth: 'none', destAuth: 'bearer', paging: 'auto' } as const;
    await writeScaffold(dir, await scaffoldIntegration(answers, dir));
    const config = await readFile(join(dir, 'y.yaml'), 'utf8');
    const [first] = config.split('\n');
    expect(first).toMatch(/^# yaml-language-server: \$schema=.*schema\/integration\.schema\.json$/);
    const schemaPath = join(dir, first!.split('$schema=')[1]!);
    expect(JSON.parse(await readFile(schemaPath, 'utf8')).title).toBe('ferry integration');
    const variables = (await readFile(join(dir, '.env.example'), 'utf8')).match(/^[A-Z_]+(?==)/gm);
    expect(variables).toEqual(['SOURCE_URL', 'DEST_URL', 'DEST_TOKEN']);
  });

  it('keeps a given URL as the default of its variable, so the environment can still override it', async () => {
    const dir = await dirs.make();
    const answers = {
      name: 'z',
      sourceAuth: 'none',
      destAuth: 'none',
      paging: 'none',
      sourceUrl: 'https://crm.example.com/v1/customers?active=true',
      destUrl: 'https://shop.example.com/orders',
    } as const;
    await writeScaffold(dir, await scaffoldIntegration(answers, dir));
    const report = await validateIntegration(join(dir, 'z.yaml'), { env: {} });
    expect(report.valid).toBe(true);
    expect(report.integration?.source).toBe('https://crm.example.com');
  });
});
