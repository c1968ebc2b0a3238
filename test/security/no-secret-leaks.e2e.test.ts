import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { type FerryResult, flagshipConfig, runFerry, startFerry } from '../support/ferry-cli.ts';
import {
  filesUnder,
  findSecrets,
  removeDir,
  type SecretMocks,
  startSecretMocks,
  tempDir,
  text,
  type Written,
} from './security-support.ts';

/**
 * The first test: run the flagship with known secret values through success, failure, retry,
 * crash and every read-only command, then search every byte ferry wrote (stdout, stderr, the report, the
 * SQLite ledger with its WAL, read as binary) for each secret and its usual encodings: zero hits.
 */

const fileSecretConfig = fileURLToPath(new URL('./fixtures/secret-from-file.yaml', import.meta.url));
const fileSecretDir = fileURLToPath(new URL('./fixtures/secrets/', import.meta.url));

let mocks: SecretMocks | undefined;
const dirs: string[] = [];

afterEach(async () => {
  await mocks?.close();
  mocks = undefined;
  for (const dir of dirs.splice(0)) await removeDir(dir);
});

async function workDir(): Promise<string> {
  const dir = await tempDir('leaks');
  dirs.push(dir);
  return dir;
}

function outputs(name: string, result: FerryResult): Written[] {
  return [text(`${name} stdout`, result.stdout), text(`${name} stderr`, result.stderr)];
}

/** The credentials ferry was given, plus what a careless client would derive from them. */
function secretsOf(m: SecretMocks, extra: Record<string, string> = {}): Record<string, string> {
  const secrets: Record<string, string> = {
    SOURCE_API_KEY: m.apiKey,
    DEST_CLIENT_SECRET: m.clientSecret,
    'Basic credential (client_id:client_secret)': Buffer.from(`${m.clientId}:${m.clientSecret}`).toString(
      'base64',
    ),
    ...extra,
  };
  m.issuedTokens.forEach((token, i) => {
    secrets[`access token #${i + 1}`] = token;
  });
  return secrets;
}

/** Everything ferry wrote: each command's output, the report files and every file of the state dir. */
async function everythingWritten(
  results: ReadonlyArray<readonly [string, FerryResult]>,
  dirs: readonly string[],
): Promise<Written[]> {
  const written = results.flatMap(([name, result]) => outputs(name, result));
  for (const dir of dirs) written.push(...(await filesUnder(dir)));
  return written;
}

function runArgs(dir: string, extra: readonly string[] = []): string[] {
  return [
    'run',
    flagshipConfig,
    '--state',
    `${dir}/state`,
    '--report',
    `${dir}/report.json`,
    '--json',
    '--log-level',
    'debug',
    '--log-format',
    'json',
    ...extra,
  ];
}

describe('no secret leaks (flagship CLI, every byte scanned)', () => {
  it('a successful run, dry run, validate, dlq and runs commands write none of the secrets', async () => {
    mocks = await startSecretMocks({ count: 120, perPage: 40 });
    const dir = await workDir();
    const env = mocks.env;
    const results: Array<readonly [string, FerryResult]> = [];
    const run = async (name: string, args: readonly string[]) => {
      const result = await runFerry(args, { env });
      results.push([name, result]);
      return result;
    };

    const validate = await run('validate', ['validate', flagshipConfig]);
    expect(validate.code, validate.stderr).toBe(0);
    await run('validate --json', ['validate', flagshipConfig, '--json']);
    const dry = await run('dry run', [
      'run',
      flagshipConfig,
      '--dry-run',
      '--sample',
      '5',
      '--log-level',
      'debug',
      '--log-format',
      'pretty',
    ]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('"dryRun": true');

    const main = await run('run', runArgs(dir, ['--metrics-port', '0']));
    // The mock data set is seeded dirty: some customers are quarantined, hence exit 1.
    expect([0, 1], main.stderr).toContain(main.code);
    const report = JSON.parse(await readFile(`${dir}/report.json`, 'utf8')) as {
      runId: string;
      counts: Record<string, number>;
    };
    expect(report.counts.read).toBe(120);
    expect(mocks.issuedTokens.length).toBeGreaterThan(0);

    const state = ['--state', `${dir}/state`];
    const list = await run('dlq list --json', ['dlq', 'list', ...state, '--json']);
    expect(list.code, list.stderr).toBe(0);
    await run('dlq list', ['dlq', 'list', ...state]);
    const letters = JSON.parse(list.stdout) as Array<{ id: number }>;
    for (const letter of letters.slice(0, 3))
      await run(`dlq show ${letter.id}`, ['dlq', 'show', String(letter.id), ...state]);
    await run('runs list --json', ['runs', 'list', ...state, '--json']);
    await run('runs list', ['runs', 'list', ...state]);
    await run('runs show --json', ['runs', 'show', report.runId, ...state, '--json']);
    await run('runs show', ['runs', 'show', report.runId, ...state]);
    await run('dlq replay', ['dlq', 'replay', flagshipConfig, ...state, '--json']);

    const written = await everythingWritten(results, [dir]);
    expect(written.some((w) => w.name.endsWith('ferry.db'))).toBe(true);
    expect(written.some((w) => w.name.endsWith('report.json'))).toBe(true);
    expect(findSecrets(written, secretsOf(mocks))).toEqual([]);
  }, 120_000);

  it('retries, 429s, lost acknowledgements and token refreshes write none of the secrets', async () => {
    mocks = await startSecretMocks({
      count: 80,
      perPage: 40,
      tokenTtlSeconds: 1,
      destinationFaults: {
        errorRate: 0.1,
        rateLimitedRate: 0.1,
        retryAfterSeconds: 0,
        lostAckRate: 0.1,
        latencyMs: 5,
      },
    });
    const dir = await workDir();
    const result = await runFerry(runArgs(dir), { env: mocks.env });
    expect([0, 1], result.stderr).toContain(result.code);
    const report = JSON.parse(await readFile(`${dir}/report.json`, 'utf8')) as {
      retries: number;
      rateLimited: number;
    };
    // The faults really happened, so the retry and refresh paths were exercised.
    expect(report.retries).toBeGreaterThan(0);
    expect(report.rateLimited).toBeGreaterThan(0);
    expect(mocks.destination.stats().lostAcks).toBeGreaterThan(0);
    expect(mocks.issuedTokens.length).toBeGreaterThan(1);

    const written = await everythingWritten([['faulty run', result]], [dir]);
    expect(findSecrets(written, secretsOf(mocks))).toEqual([]);
  }, 120_000);

  it('a run killed with SIGKILL and its rerun write none of the secrets', async () => {
    mocks = await startSecretMocks({ count: 300, perPage: 50, destinationFaults: { latencyMs: 60 } });
    const dir = await workDir();
    const first = startFerry(runArgs(dir), { env: mocks.env });
    await first.waitForStderr(/"record delivered"[\s\S]*"record delivered"[\s\S]*"checkpoint saved"/, 60_000);
    first.kill('SIGKILL');
    const killed = await first.done;
    expect(killed.signal).toBe('SIGKILL');
    // Scanned as the crash left it (the WAL not yet checkpointed into the db).
    const afterCrash = await filesUnder(dir);
    const rerun = await runFerry(runArgs(dir), { env: mocks.env });
    expect([0, 1], rerun.stderr).toContain(rerun.code);
    expect(mocks.destination.stats().duplicates).toBe(0);

    const written = [
      ...afterCrash,
      ...(await everythingWritten(
        [
          ['killed run', killed],
          ['rerun', rerun],
        ],
        [dir],
      )),
    ];
    expect(findSecrets(written, secretsOf(mocks))).toEqual([]);
  }, 120_000);

  it('a wrong client secret ends with exit 3 and neither secret is written', async () => {
    mocks = await startSecretMocks({ count: 30 });
    const dir = await workDir();
    const wrongSecret = `ferrytest-wrongsecret-${'9f'.repeat(24)}`;
    const result = await runFerry(runArgs(dir), { env: { ...mocks.env, DEST_CLIENT_SECRET: wrongSecret } });
    expect(result.code, result.stderr).toBe(3);
    expect(result.stderr).toMatch(/FERRY_ERR_AUTH_TOKEN|FERRY_ERR_HTTP_UNAUTHORIZED/);
    const written = await everythingWritten([['refused run', result]], [dir]);
    expect(
      findSecrets(written, {
        ...secretsOf(mocks),
        'wrong DEST_CLIENT_SECRET': wrongSecret,
        'wrong Basic credential': Buffer.from(`${mocks.clientId}:${wrongSecret}`).toString('base64'),
      }),
    ).toEqual([]);
  }, 120_000);

  it('a client secret read from a file reference (client_secret_post) is used and never written', async () => {
    mocks = await startSecretMocks({ count: 40 });
    const dir = await workDir();
    await mkdir(fileSecretDir, { recursive: true });
    // A trailing newline, as mounted secrets often have; ferry trims it.
    await writeFile(`${fileSecretDir}dest-client-secret.txt`, `${mocks.clientSecret}\n`, { mode: 0o600 });
    const { DEST_CLIENT_SECRET: _, ...env } = mocks.env;
    try {
      const results: Array<readonly [string, FerryResult]> = [];
      for (const [name, args] of [
        ['validate', ['validate', fileSecretConfig]],
        ['dry run', ['run', fileSecretConfig, '--dry-run']],
        [
          'run',
          [
            'run',
            fileSecretConfig,
            '--state',
            `${dir}/state`,
            '--report',
            `${dir}/report.json`,
            '--json',
            '--log-level',
            'debug',
          ],
        ],
      ] as const) {
        results.push([name, await runFerry(args, { env })]);
      }
      const run = results[2]![1];
      expect([0, 1], run.stderr).toContain(run.code);
      expect(mocks.destination.stats().ordersStored).toBeGreaterThan(0);
      const written = await everythingWritten(results, [dir]);
      expect(findSecrets(written, secretsOf(mocks))).toEqual([]);
    } finally {
      await rm(fileSecretDir, { recursive: true, force: true });
    }
  }, 120_000);
});
