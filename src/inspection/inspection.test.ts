import { describe, expect, it } from 'vitest';
import { createMemoryLedger } from '../../test/support/memory-ledger.ts';
import { hasErrorCode } from '../core/errors.ts';
import type { Ledger } from '../core/ledger-types.ts';
import { encodeCursor } from './cursor.ts';
import { exportDeadLetters } from './dead-letter-export.ts';
import { eachDeadLetterPage, listDeadLettersPage, selectDeadLetters } from './dead-letters-page.ts';
import { listRunsPage } from './runs-page.ts';

async function seeded(): Promise<{ ledger: Ledger; runs: string[] }> {
  const ledger = createMemoryLedger();
  const runs: string[] = [];
  for (let day = 1; day <= 5; day++) {
    const run = await ledger.startRun(day % 2 ? 'a' : 'b', `2025-01-0${day}T00:00:00.000Z`);
    runs.push(run.id);
    await ledger.finishRun(
      run.id,
      day === 3 ? 'aborted' : 'completed',
      { read: day },
      {
        durationMs: 1000,
        ratePerSec: day * 10,
        retries: 1,
        rateLimited: 0,
        deadLetters: { total: day },
      },
    );
  }
  for (let n = 0; n < 7; n++) {
    await ledger.addDeadLetter({
      integration: n < 5 ? 'a' : 'b',
      key: `k${n}`,
      runId: runs[n % 2]!,
      state: n % 3 === 0 ? 'quarantined' : 'failed',
      record: { name: n === 6 ? '=HYPERLINK("http://evil")' : `Customer ${n}` },
      body: null,
      reasons: [{ code: n % 2 ? 'required' : 'format', field: 'email', message: 'bad, "really"' }],
    });
  }
  return { ledger, runs };
}

describe('run pages', () => {
  it('pages through runs newest first with cursors, the last page saying so', async () => {
    const { ledger, runs } = await seeded();
    const first = await listRunsPage(ledger, { limit: 2 });
    expect(first.items.map((r) => r.id)).toEqual([runs[4], runs[3]]);
    expect(first.items[0]).toMatchObject({
      ratePerSec: 50,
      deadLetters: 5,
      durationMs: 1000,
      counts: { read: 5 },
    });
    expect(first.items[0]).not.toHaveProperty('report');
    const second = await listRunsPage(ledger, { limit: 2, cursor: first.nextCursor! });
    const third = await listRunsPage(ledger, { limit: 2, cursor: second.nextCursor! });
    expect([...second.items, ...third.items].map((r) => r.id)).toEqual([runs[2], runs[1], runs[0]]);
    expect(third.nextCursor).toBeNull();
  });

  it('filters by integration and status', async () => {
    const { ledger, runs } = await seeded();
    expect((await listRunsPage(ledger, { integration: 'a' })).items.map((r) => r.id)).toEqual([
      runs[4],
      runs[2],
      runs[0],
    ]);
    expect((await listRunsPage(ledger, { status: 'aborted' })).items.map((r) => r.id)).toEqual([runs[2]]);
  });

  it('refuses a cursor it did not make, or one of another listing, as a usage error', async () => {
    const { ledger } = await seeded();
    for (const cursor of ['nonsense', encodeCursor('dead-letters', 3), encodeCursor('runs', 3)]) {
      const error = await listRunsPage(ledger, { cursor }).catch((e: unknown) => e);
      expect(hasErrorCode(error, 'FERRY_ERR_USAGE'), String(error)).toBe(true);
    }
  });
});

describe('dead letter pages', () => {
  it('pages through the letters a filter matches, with the total', async () => {
    const { ledger } = await seeded();
    const first = await listDeadLettersPage(ledger, { integration: 'a', limit: 3 });
    expect(first.total).toBe(5);
    expect(first.items.map((l) => l.key)).toEqual(['k4', 'k3', 'k2']);
    const second = await listDeadLettersPage(ledger, {
      integration: 'a',
      limit: 3,
      cursor: first.nextCursor!,
    });
    expect(second.items.map((l) => l.key)).toEqual(['k1', 'k0']);
    expect(second.nextCursor).toBeNull();
    expect(
      (await listDeadLettersPage(ledger, { reason: 'required', state: 'failed' })).items.map((l) => l.key),
    ).toEqual(['k5', 'k1']);
  });

  it('walks every page of a filter and selects letters by ids or filter, by integration', async () => {
    const { ledger } = await seeded();
    const pages: string[][] = [];
    for await (const page of eachDeadLetterPage(ledger, {}, 3)) pages.push(page.map((l) => l.key));
    expect(pages).toEqual([['k6', 'k5', 'k4'], ['k3', 'k2', 'k1'], ['k0']]);
    const ids = (await ledger.listDeadLetters({ limit: 2 })).map((l) => l.id);
    const byIds = await selectDeadLetters(ledger, { ids: [...ids, 999_999] });
    expect([...byIds.keys()]).toEqual(['b']);
    const byFilter = await selectDeadLetters(ledger, { filter: { reason: 'format' } });
    expect(Object.fromEntries([...byFilter].map(([k, v]) => [k, v.map((l) => l.key)]))).toEqual({
      b: ['k6'],
      a: ['k4', 'k2', 'k0'],
    });
  });
});

describe('dead letter export', () => {
  async function text(chunks: AsyncIterable<string>): Promise<string> {
    let out = '';
    for await (const chunk of chunks) out += chunk;
    return out;
  }

  it('writes CSV with a header, quoted cells and formula-looking text defused', async () => {
    const { ledger } = await seeded();
    const csv = await text(exportDeadLetters(eachDeadLetterPage(ledger, { integration: 'b' }, 1), 'csv'));
    const lines = csv.trimEnd().split('\n');
    expect(lines[0]).toBe(
      'id,integration,key,run_id,state,reason_codes,fields,reasons,created_at,resolved_at,record,body',
    );
    expect(lines).toHaveLength(3);
    expect(lines[1]).toContain(`"email: bad, ""really"""`);
    expect(lines[1]).toContain(`"{""name"":""=HYPERLINK(\\""http://evil\\"")""}"`);
  });

  it('defuses a cell that starts like a formula', async () => {
    const ledger = createMemoryLedger();
    const run = await ledger.startRun('a', '2025-01-01T00:00:00.000Z');
    await ledger.addDeadLetter({
      integration: 'a',
      key: '=1+1',
      runId: run.id,
      state: 'failed',
      record: {},
      body: null,
      reasons: [],
    });
    const csv = await text(exportDeadLetters(eachDeadLetterPage(ledger, {}), 'csv'));
    expect(csv.split('\n')[1]).toContain(",'=1+1,");
  });

  it('writes one JSON letter per line, and an empty CSV still has its header', async () => {
    const { ledger } = await seeded();
    const jsonl = await text(exportDeadLetters(eachDeadLetterPage(ledger, {}, 2), 'jsonl'));
    const letters = jsonl
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(letters.map((l) => l.key)).toEqual(['k6', 'k5', 'k4', 'k3', 'k2', 'k1', 'k0']);
    const empty = await text(exportDeadLetters(eachDeadLetterPage(ledger, { integration: 'none' }), 'csv'));
    expect(empty).toBe(
      'id,integration,key,run_id,state,reason_codes,fields,reasons,created_at,resolved_at,record,body\n',
    );
  });
});
