import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RunRow } from '../../core/ledger-types.ts';
import { findRun } from '../../inspection/find-run.ts';
import { openSqliteLedger } from '../../state/sqlite-ledger.ts';
import { createProgram } from '../main.ts';

let state: string;
let stdout: string;

/** Runs `ferry <args>` in-process against the temporary state directory; returns stdout. */
async function ferry(...args: string[]): Promise<string> {
  stdout = '';
  await createProgram().parseAsync([...args, '--state', state], { from: 'user' });
  return stdout;
}

async function seed(deadLetters: number): Promise<string[]> {
  const ledger = await openSqliteLedger(state);
  const runs = [
    (await ledger.startRun('flow', '2025-01-01T00:00:00.000Z')).id,
    (await ledger.startRun('flow', '2025-01-02T00:00:00.000Z')).id,
  ];
  for (let n = 0; n < deadLetters; n++) {
    await ledger.addDeadLetter({
      integration: 'flow',
      key: `k${n}`,
      runId: runs[0]!,
      state: 'quarantined',
      record: { customer_id: n, email: 'not-an-email' },
      body: undefined,
      reasons: [{ field: 'email', code: 'invalid_email', message: 'must be a plausible email address' }],
    });
  }
  await ledger.close();
  return runs;
}

beforeEach(async () => {
  state = await mkdtemp(join(tmpdir(), 'ferry-inspect-'));
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
});
afterEach(async () => {
  vi.restoreAllMocks();
  await rm(state, { recursive: true, force: true });
});

describe('ferry dlq list', () => {
  it('says how many more there are than --limit shows', async () => {
    await seed(5);
    const out = await ferry('dlq', 'list', '--limit', '2');
    expect(out).toContain('… and 3 more; --limit 5 lists them all');
  });

  it('keeps --json one array on stdout and says on stderr how many more there are', async () => {
    await seed(5);
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const listed = JSON.parse(await ferry('dlq', 'list', '--limit', '2', '--json'));
    expect(listed).toHaveLength(2);
    expect(stderr).toHaveBeenCalledWith(
      expect.stringMatching(/^… and 3 more; --limit 5 lists them all, --cursor \S+ lists the next 2\n$/),
    );
  });

  it('says nothing more when everything is listed', async () => {
    await seed(2);
    expect(await ferry('dlq', 'list', '--limit', '2')).not.toContain('more');
  });
});

describe('ferry dlq show', () => {
  it('describes a dead letter for a person, and as JSON with --json', async () => {
    await seed(1);
    const [id] = JSON.parse(await ferry('dlq', 'list', '--json')).map((l: { id: number }) => l.id);
    const text = await ferry('dlq', 'show', String(id));
    expect(text).toContain(`dead letter ${id}: quarantined record k0 of flow`);
    expect(text).toContain('  email: must be a plausible email address (invalid_email)');
    expect(text).toContain('"email": "not-an-email"');
    expect(JSON.parse(await ferry('dlq', 'show', String(id), '--json'))).toMatchObject({ id, key: 'k0' });
  });
});

describe('ferry runs show', () => {
  it('accepts a unique prefix of the run id', async () => {
    const [first] = await seed(0);
    const out = await ferry('runs', 'show', first!.slice(0, 8), '--json');
    expect(JSON.parse(out).id).toBe(first);
  });

  it('refuses an ambiguous prefix, listing the runs it matches', async () => {
    const run = (id: string) =>
      ({ id, integration: 'flow', startedAt: '2025-01-01T00:00:00.000Z' }) as RunRow;
    const runs = [run('abc1-0000'), run('abc2-0000')];
    const ledger = {
      getRun: async () => undefined,
      findRunsByIdPrefix: async (prefix: string) => runs.filter((r) => r.id.startsWith(prefix)),
    };
    expect((await findRun(ledger, 'abc2', '.ferry')).id).toBe('abc2-0000');
    await expect(findRun(ledger, 'abc', '.ferry')).rejects.toThrow(
      /"abc" is the start of 2 run ids; give more of it:\n {2}abc1-0000 \(flow/,
    );
    await expect(findRun(ledger, 'fff', '.ferry')).rejects.toThrow(/no run fff in \.ferry/);
  });
});
