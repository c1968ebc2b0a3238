import { chmod, cp, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flagshipConfig, runFerry } from './support/ferry-cli.ts';
import { type FlagshipMocks, startFlagshipMocks } from './support/flagship-mocks.ts';
import { tempDirs } from './support/temp-dirs.ts';

const dirs = tempDirs('ferry-ledger-');
afterAll(() => dirs.removeAll());

/**
 * A copy of the flagship integration (file, mapping, schemas) in a fresh directory of its own, one level
 * down in a temporary directory: `state: ../ledgers/...` then stays inside it instead of landing in /tmp,
 * where every test run on the machine, of every ferry version, would share it.
 */
async function flagshipCopy(): Promise<string> {
  const dir = join(await dirs.make(), 'project');
  await cp(join(flagshipConfig, '..'), dir, { recursive: true });
  return join(dir, 'customers-to-orders.yaml');
}

const posts = (mocks: FlagshipMocks) =>
  Object.values(mocks.destination.stats().requests['POST /api/v2/orders'] ?? {}).reduce((a, b) => a + b, 0);

describe('the ledger follows the integration, not the shell', () => {
  let mocks: FlagshipMocks;
  beforeAll(async () => {
    mocks = await startFlagshipMocks({ count: 40, seed: 5 });
  });
  afterAll(() => mocks.close());

  it('a cron job run from two working directories keeps one ledger and sends nothing twice', async () => {
    const config = await flagshipCopy();
    const ledger = join(config, '..', '.ferry');
    const [cwdA, cwdB] = [await dirs.make(), await dirs.make()];
    const reportA = join(cwdA, 'report.json');
    const first = await runFerry(['run', config, '--report', reportA, '--no-progress'], {
      env: mocks.env,
      cwd: cwdA,
    });
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain(`no ledger found at ${ledger}: starting a new one`);
    expect(JSON.parse(await readFile(reportA, 'utf8')).ledger).toEqual({
      path: ledger,
      chosenBy: `beside ${config}`,
      new: true,
      note: `no ledger found at ${ledger}: starting a new one`,
    });
    expect(await readdir(cwdA)).toEqual(['report.json']);
    const sent = posts(mocks);
    expect(sent).toBeGreaterThan(0);

    const second = await runFerry(['run', config, '--json', '--no-progress'], { env: mocks.env, cwd: cwdB });
    expect(second.code, second.stderr).toBe(0);
    const report = JSON.parse(second.stdout);
    expect(report.ledger).toEqual({ path: ledger, chosenBy: `beside ${config}`, new: false });
    expect(report.counts.delivered).toBe(0);
    expect(second.stderr).not.toContain('starting a new one');
    expect(posts(mocks)).toBe(sent);
    expect(await readdir(cwdB)).toEqual([]);

    // The read-only commands find the same ledger through the integration file.
    const runs = await runFerry(['runs', 'list', '--config', config, '--json'], { cwd: cwdB });
    expect(runs.code, runs.stderr).toBe(0);
    expect(JSON.parse(runs.stdout)).toHaveLength(2);
    const letters = await runFerry(['dlq', 'list', '--json'], { env: { FERRY_STATE: ledger }, cwd: cwdB });
    expect(letters.code, letters.stderr).toBe(0);
    expect(JSON.parse(letters.stdout)).toEqual([]);
  });

  it("keeps the ledger where the file's state: key says, relative to the file", async () => {
    // One level down in a directory of its own, so ../ledgers stays in it (not in the shared /tmp).
    const outer = await dirs.make();
    await cp(join(await flagshipCopy(), '..'), join(outer, 'integration'), { recursive: true });
    const config = join(outer, 'integration', 'customers-to-orders.yaml');
    await writeFile(config, `${await readFile(config, 'utf8')}\nstate: ../ledgers/flagship\n`);
    const result = await runFerry(['run', config, '--json', '--no-progress'], {
      env: mocks.env,
      cwd: await dirs.make(),
    });
    // The same orders again, from another ledger: the destination answers 409 and ferry reconciles them.
    expect(result.code, result.stderr).toBeLessThan(2);
    expect(JSON.parse(result.stdout).ledger.path).toBe(join(config, '..', '..', 'ledgers', 'flagship'));
    expect(await readdir(join(config, '..', '..', 'ledgers', 'flagship'))).toContain('ferry.db');
  });

  it('a new integration in an existing ledger is said to start from scratch', async () => {
    const config = await flagshipCopy();
    const state = await dirs.make();
    await runFerry(['run', config, '--state', state, '--no-progress'], { env: mocks.env });
    await writeFile(
      config,
      (await readFile(config, 'utf8')).replace('name: customers-to-orders', 'name: customers-to-orders-2'),
    );
    const result = await runFerry(['run', config, '--state', state, '--json', '--no-progress'], {
      env: mocks.env,
    });
    expect(JSON.parse(result.stdout).ledger.note).toBe(
      `the ledger at ${state} has no runs of customers-to-orders-2: starting it from scratch`,
    );
  });
});

describe('what can be checked before a run is checked before it', () => {
  let mocks: FlagshipMocks;
  beforeAll(async () => {
    mocks = await startFlagshipMocks({ count: 10, seed: 5 });
  });
  afterAll(() => mocks.close());

  /** Runs the flagship with `args`, expecting an environment error (exit 2) before anything was sent. */
  async function refused(args: string[], options: { uid?: number; cwd?: string } = {}) {
    const before = posts(mocks);
    const result = await runFerry(['run', await flagshipCopy(), '--no-progress', ...args], {
      env: mocks.env,
      ...options,
    });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).not.toContain('internal error');
    expect(posts(mocks)).toBe(before);
    return result.stderr;
  }

  it('refuses /dev/null as the state directory, naming it', async () => {
    expect(await refused(['--state', '/dev/null'])).toContain(
      'the state directory /dev/null is not a directory [FERRY_ERR_STATE_UNUSABLE]',
    );
  });

  it('refuses a state directory with a file in its path', async () => {
    const file = join(await dirs.make(), 'a-file');
    await writeFile(file, '');
    expect(await refused(['--state', join(file, 'state')])).toMatch(
      /the state directory .*a-file\/state cannot be used: a part of its path is a file/,
    );
  });

  it('refuses a read-only state directory, naming it', async () => {
    const root = await dirs.make();
    const readOnly = join(root, 'read-only');
    await mkdir(readOnly, { mode: 0o555 });
    await chmod(root, 0o755);
    // root writes anywhere: the check is made as an unprivileged user then.
    const uid = process.getuid?.() === 0 ? 65534 : undefined;
    const copy = await flagshipCopy();
    await chmod(join(copy, '..', '..'), 0o755);
    await chmod(join(copy, '..'), 0o755);
    const result = await runFerry(['run', copy, '--state', readOnly, '--no-progress'], {
      env: mocks.env,
      ...(uid === undefined ? {} : { uid }),
    });
    expect(result.code, result.stderr).toBe(2);
    expect(result.stderr).toContain(
      `the state directory ${readOnly} is not writable (permission denied) [FERRY_ERR_STATE_UNUSABLE]`,
    );
  });

  it('refuses a URL of a kind of ledger it does not have as --state, creating no directory named after it', async () => {
    const cwd = await dirs.make();
    const stderr = await refused(['--state', 'mysql://ferry:hunter2@db.internal/ferry'], { cwd });
    expect(stderr).toContain('--state names a mysql:// URL (mysql://db.internal/...), a kind of ledger');
    expect(stderr).not.toContain('hunter2');
    expect(await readdir(cwd)).toEqual([]);
  });

  it('refuses a postgres:// --state with its password written in it, before connecting', async () => {
    const cwd = await dirs.make();
    const stderr = await refused(['--state', 'postgres://ferry:hunter2@db.internal/ferry'], { cwd });
    expect(stderr).toContain('--state: the database URL has its password written in it');
    expect(stderr).not.toContain('hunter2');
    expect(await readdir(cwd)).toEqual([]);
  });

  it('refuses a report path it could not write before the run, creating no ledger', async () => {
    const dir = await dirs.make();
    const stderr = await refused(['--state', join(dir, 'state'), '--report', dir]);
    expect(stderr).toContain(
      `cannot write the run report to ${dir}: it is a directory [FERRY_ERR_REPORT_WRITE]`,
    );
    expect(await readdir(dir)).toEqual([]);
  });

  it('read-only commands report a missing ledger and create none', async () => {
    const dir = await dirs.make();
    for (const args of [
      ['runs', 'list', '--state', join(dir, 'state')],
      ['runs', 'show', 'r1', '--state', join(dir, 'state')],
      ['dlq', 'list', '--state', join(dir, 'state')],
      ['dlq', 'show', '1', '--state', join(dir, 'state')],
      ['dlq', 'purge', '--yes', '--integration', 'x', '--state', join(dir, 'state')],
    ]) {
      const result = await runFerry(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr).toContain(`no ledger at ${join(dir, 'state')}`);
    }
    expect(await readdir(dir)).toEqual([]);
  });
});
