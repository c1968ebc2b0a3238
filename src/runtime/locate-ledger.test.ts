import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { redactSecrets } from '../core/secret-registry.ts';
import { loadStateSetting } from '../integration/load-integration.ts';
import { locateLedger } from './locate-ledger.ts';

const made: string[] = [];
afterAll(() => Promise.all(made.map((dir) => rm(dir, { recursive: true, force: true }))));

async function integrationFile(text: string, name = 'sync.yaml'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-location-'));
  made.push(dir);
  const file = join(dir, name);
  await writeFile(file, text);
  return file;
}

const configOf = (file: string, env: Record<string, string> = {}) => ({
  file,
  setting: () => loadStateSetting(file, env),
});

describe('locateLedger', () => {
  it('puts the ledger beside the integration file, whatever the working directory', async () => {
    const file = await integrationFile('version: 1\nname: x\n');
    const location = await locateLedger({ env: {}, config: configOf(file) });
    expect(location.display).toBe(join(file, '..', '.ferry'));
    expect(location.chosenBy).toBe(`beside ${file}`);
  });

  it("resolves the file's relative state: key against the file, not the working directory", async () => {
    const file = await integrationFile('version: 1\nstate: ../ledgers/sync\n');
    const location = await locateLedger({ env: {}, config: configOf(file) });
    expect(location.display).toBe(join(file, '..', '..', 'ledgers', 'sync'));
    expect(location.chosenBy).toBe(`state: in ${file}`);
  });

  it('reads state: from a TypeScript integration module too', async () => {
    const file = await integrationFile('export default { version: 1, state: "./kept" };\n', 'sync.ts');
    expect((await locateLedger({ env: {}, config: configOf(file) })).display).toBe(join(file, '..', 'kept'));
  });

  it('interpolates environment references in state: without needing the secrets the rest of the file references', async () => {
    const file = await integrationFile(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the file's reference syntax.
      'version: 1\nstate: ${LEDGERS}/sync\ndestination:\n  auth: { client_secret: "${UNSET_SECRET}" }\n',
    );
    const location = await locateLedger({ env: {}, config: configOf(file, { LEDGERS: '/srv/ledgers' }) });
    expect(location.display).toBe('/srv/ledgers/sync');
  });

  it('takes --state first, then FERRY_STATE, then the file', async () => {
    const file = await integrationFile('version: 1\nstate: ./from-file\n');
    const config = configOf(file);
    const env = { FERRY_STATE: '/srv/from-env' };
    expect(await locateLedger({ flag: '/srv/from-flag', env, config })).toEqual({
      kind: 'sqlite',
      dir: '/srv/from-flag',
      display: '/srv/from-flag',
      chosenBy: '--state',
    });
    expect(await locateLedger({ env, config })).toMatchObject({
      dir: '/srv/from-env',
      chosenBy: 'FERRY_STATE',
    });
    expect((await locateLedger({ env: { FERRY_STATE: '' }, config })).display).toBe(
      join(file, '..', 'from-file'),
    );
  });

  it('does not read the integration file when --state or FERRY_STATE decides', async () => {
    const config = { file: 'missing.yaml', setting: () => Promise.reject(new Error('read')) };
    await expect(locateLedger({ flag: 'x', env: {}, config })).resolves.toBeDefined();
    await expect(locateLedger({ env: { FERRY_STATE: 'y' }, config })).resolves.toBeDefined();
  });

  it('refuses to guess when nothing names a ledger', async () => {
    await expect(locateLedger({ env: {} })).rejects.toMatchObject({
      code: 'FERRY_ERR_USAGE',
      message: expect.stringContaining('--state DIR, set FERRY_STATE, or name the integration with --config'),
    });
  });

  it('takes a postgres:// URL from --state, its password from PGPASSWORD, showing neither', async () => {
    const location = await locateLedger({
      flag: 'postgres://ferry@db.internal:5432/ferry',
      env: { PGPASSWORD: 'pg-secret-1' },
    });
    expect(location).toMatchObject({
      kind: 'postgres',
      display: 'postgres://ferry@db.internal:5432/ferry',
      chosenBy: '--state',
      connection: { connectionString: 'postgres://ferry@db.internal:5432/ferry', password: 'pg-secret-1' },
    });
    expect(redactSecrets('pg-secret-1')).toBe('[REDACTED]');
  });

  it('refuses a password written in the URL of --state, without printing it', async () => {
    const error = await locateLedger({ flag: 'postgres://ferry:hunter2@db.internal/ferry', env: {} }).catch(
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'FERRY_ERR_USAGE' });
    const message = (error as Error).message;
    expect(message).toContain('--state: the database URL has its password written in it');
    expect(message).toContain('PGPASSWORD');
    expect(message).not.toContain('hunter2');
  });

  it('takes the whole URL, password included, from FERRY_STATE: an environment variable is where it belongs', async () => {
    const location = await locateLedger({
      env: { FERRY_STATE: 'postgresql://ferry:hunter%402@db.internal/ferry' },
    });
    expect(location).toMatchObject({ kind: 'postgres', display: 'postgresql://ferry@db.internal/ferry' });
    expect(redactSecrets('the password hunter@2')).toBe('the password [REDACTED]');
  });

  it(`reads a \${file:...} password of the URL, percent-encoded into it`, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ferry-location-'));
    made.push(dir);
    await writeFile(join(dir, 'db-password'), 'p@ss/word\n');
    const location = await locateLedger({
      flag: `postgres://ferry:\${file:${join(dir, 'db-password')}}@db.internal/ferry`,
      env: {},
    });
    expect(location.kind).toBe('postgres');
    const url = new URL(location.kind === 'postgres' ? location.connection.connectionString : '');
    expect(decodeURIComponent(url.password)).toBe('p@ss/word');
    expect(url.host).toBe('db.internal');
    expect(location.display).toBe('postgres://ferry@db.internal/ferry');
  });

  it.each([
    ['--state', { flag: 'mysql://ferry@db.internal:3306/ferry', env: {} }],
    ['FERRY_STATE', { env: { FERRY_STATE: 'redis://:hunter2@db.internal/0' } }],
  ])(
    'refuses a URL of a kind of ledger it does not have, given by %s, without its password',
    async (by, options) => {
      const error = await locateLedger(options).catch((e: unknown) => e);
      expect(error).toMatchObject({ code: 'FERRY_ERR_USAGE' });
      const message = (error as Error).message;
      expect(message).toContain(`${by} names a`);
      expect(message).toContain('db.internal');
      expect(message).toContain('a kind of ledger ferry does not support');
      expect(message).not.toContain('hunter2');
    },
  );

  it("refuses a password written in the URL of the file's state: key", async () => {
    const file = await integrationFile('version: 1\nstate: "postgres://ferry:hunter2@db.internal/ferry"\n');
    const error = await locateLedger({ env: {}, config: configOf(file) }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'FERRY_ERR_CONFIG_LITERAL_SECRET' });
    expect((error as Error).message).toContain(
      `${file}:2 state: the database URL has its password written in it`,
    );
    expect((error as Error).message).not.toContain('hunter2');
  });

  it("takes the file's state: URL from an environment variable, or its password from one", async () => {
    const whole = await integrationFile(`version: 1\nstate: \${DATABASE_URL}\n`);
    expect(
      await locateLedger({
        env: {},
        config: configOf(whole, { DATABASE_URL: 'postgres://ferry:pw1@db.internal/ferry' }),
      }),
    ).toMatchObject({
      kind: 'postgres',
      display: 'postgres://ferry@db.internal/ferry',
      chosenBy: `state: in ${whole}`,
    });
    const part = await integrationFile(
      `version: 1\nstate: postgres://ferry:\${DB_PASSWORD}@db.internal/ferry\n`,
    );
    const location = await locateLedger({ env: {}, config: configOf(part, { DB_PASSWORD: 'a b' }) });
    expect(location.kind === 'postgres' && location.connection.connectionString).toBe(
      'postgres://ferry:a%20b@db.internal/ferry',
    );
  });

  it('names the file and line of a state: that is not a path', async () => {
    const file = await integrationFile('version: 1\nname: x\nstate: 42\n');
    await expect(locateLedger({ env: {}, config: configOf(file) })).rejects.toMatchObject({
      code: 'FERRY_ERR_CONFIG_INVALID',
      message: `${file}:3 state: expected a directory path or a postgres:// URL (a non-empty string)`,
    });
  });
});
