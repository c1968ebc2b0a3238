import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadStateSetting } from '../integration/load-integration.ts';
import { locateLedger } from './ledger-location.ts';

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
    expect(location.dir).toBe(join(file, '..', '.ferry'));
    expect(location.chosenBy).toBe(`beside ${file}`);
  });

  it("resolves the file's relative state: key against the file, not the working directory", async () => {
    const file = await integrationFile('version: 1\nstate: ../ledgers/sync\n');
    const location = await locateLedger({ env: {}, config: configOf(file) });
    expect(location.dir).toBe(join(file, '..', '..', 'ledgers', 'sync'));
    expect(location.chosenBy).toBe(`state: in ${file}`);
  });

  it('reads state: from a TypeScript integration module too', async () => {
    const file = await integrationFile('export default { version: 1, state: "./kept" };\n', 'sync.ts');
    expect((await locateLedger({ env: {}, config: configOf(file) })).dir).toBe(join(file, '..', 'kept'));
  });

  it('interpolates environment references in state: without needing the secrets the rest of the file references', async () => {
    const file = await integrationFile(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the file's reference syntax.
      'version: 1\nstate: ${LEDGERS}/sync\ndestination:\n  auth: { client_secret: "${UNSET_SECRET}" }\n',
    );
    const location = await locateLedger({ env: {}, config: configOf(file, { LEDGERS: '/srv/ledgers' }) });
    expect(location.dir).toBe('/srv/ledgers/sync');
  });

  it('takes --state first, then FERRY_STATE, then the file', async () => {
    const file = await integrationFile('version: 1\nstate: ./from-file\n');
    const config = configOf(file);
    const env = { FERRY_STATE: '/srv/from-env' };
    expect(await locateLedger({ flag: '/srv/from-flag', env, config })).toEqual({
      dir: '/srv/from-flag',
      chosenBy: '--state',
    });
    expect(await locateLedger({ env, config })).toEqual({ dir: '/srv/from-env', chosenBy: 'FERRY_STATE' });
    expect((await locateLedger({ env: { FERRY_STATE: '' }, config })).dir).toBe(
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

  it.each([
    ['--state', { flag: 'postgres://ferry:hunter2@db.internal:5432/ferry', env: {} }],
    ['FERRY_STATE', { env: { FERRY_STATE: 'postgresql://ferry:hunter2@db.internal/ferry' } }],
  ])('refuses a database URL given by %s, without printing its password', async (by, options) => {
    const error = await locateLedger(options).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'FERRY_ERR_USAGE' });
    const message = (error as Error).message;
    expect(message).toContain(by);
    expect(message).toContain('db.internal');
    expect(message).toContain('not supported yet');
    expect(message).not.toContain('hunter2');
  });

  it("refuses a database URL in the file's state: key", async () => {
    const file = await integrationFile('version: 1\nstate: "postgres://db.internal/ferry"\n');
    await expect(locateLedger({ env: {}, config: configOf(file) })).rejects.toMatchObject({
      code: 'FERRY_ERR_USAGE',
      message: expect.stringContaining(`state: in ${file}`),
    });
  });

  it('names the file and line of a state: that is not a path', async () => {
    const file = await integrationFile('version: 1\nname: x\nstate: 42\n');
    await expect(locateLedger({ env: {}, config: configOf(file) })).rejects.toMatchObject({
      code: 'FERRY_ERR_CONFIG_INVALID',
      message: `${file}:3 state: expected a directory path (a non-empty string)`,
    });
  });
});
