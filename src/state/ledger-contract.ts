/**
 * The behaviour every Ledger must show, as one vitest suite each implementation runs on itself
 * (`describeLedgerContract('…', open)` in its own *.contract.test.ts). It assumes nothing of the storage:
 * ids are compared by equality and order only, times are RFC 3339 strings, and durability is checked
 * through `reopen` (another ledger on the same store, as another process would open it).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hasErrorCode } from '../core/errors.ts';
import type { DeadLetter, InboxEvent, Ledger, RecordUpdate } from '../core/ledger-types.ts';
import { clearSecretsForTests, registerSecret } from '../core/secret-registry.ts';

/** A ledger to test, fresh and empty, and how to reach its store again and dispose of it. */
export interface LedgerUnderTest {
  readonly ledger: Ledger;
  /**
   * Opens another ledger on the same store while this one may still be open, as a second process would.
   * Without it, the tests of durability and of crashed runs are skipped.
   */
  readonly reopen?: () => Promise<Ledger>;
  /** Closes what is left open and deletes the store. */
  readonly cleanup: () => Promise<void>;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Registers the shared Ledger contract tests for one implementation. */
export function describeLedgerContract(name: string, open: () => Promise<LedgerUnderTest>): void {
  describe(`${name} keeps the Ledger contract`, () => {
    let subject: LedgerUnderTest;
    let ledger: Ledger;
    const others: Ledger[] = [];

    beforeEach(async () => {
      subject = await open();
      ledger = subject.ledger;
    });
    afterEach(async () => {
      clearSecretsForTests();
      for (const other of others.splice(0)) await other.close();
      await subject.cleanup();
    });

    /** Another ledger on the same store; closed after the test. */
    async function reopen(): Promise<Ledger> {
      const other = await subject.reopen!();
      others.push(other);
      return other;
    }

    async function rejection(promise: Promise<unknown>): Promise<unknown> {
      return promise.then(
        () => expect.fail('expected a rejection'),
        (error: unknown) => error,
      );
    }

    function letter(
      integration: string,
      key: string,
      runId: string,
      state: DeadLetter['state'] = 'failed',
    ): Omit<DeadLetter, 'id' | 'createdAt' | 'resolvedAt'> {
      return { integration, key, runId, state, record: { key }, body: null, reasons: [] };
    }

    describe('runs', () => {
      it('starts a run as running and finds it by id', async () => {
        const run = await ledger.startRun('a', '2025-01-01T00:00:00.000Z');
        expect(run).toMatchObject({
          integration: 'a',
          status: 'running',
          startedAt: '2025-01-01T00:00:00.000Z',
          endedAt: null,
          counts: {},
        });
        expect(await ledger.getRun(run.id)).toMatchObject({
          id: run.id,
          integration: 'a',
          status: 'running',
        });
        expect(await ledger.getRun(`${run.id}-not`)).toBeUndefined();
      });

      it('lists runs newest first, by integration and with a limit', async () => {
        const a1 = await ledger.startRun('a', '2025-01-01T00:00:00.000Z');
        const a2 = await ledger.startRun('a', '2025-01-03T00:00:00.000Z');
        const b1 = await ledger.startRun('b', '2025-01-02T00:00:00.000Z');
        expect((await ledger.listRuns()).map((r) => r.id)).toEqual([a2.id, b1.id, a1.id]);
        expect((await ledger.listRuns({ integration: 'a' })).map((r) => r.id)).toEqual([a2.id, a1.id]);
        expect((await ledger.listRuns({ limit: 1 })).map((r) => r.id)).toEqual([a2.id]);
        expect(await ledger.listRuns({ integration: 'none' })).toEqual([]);
      });

      it('lists runs started at the same moment latest started first', async () => {
        const first = await ledger.startRun('a', '2025-01-01T00:00:00.000Z');
        const second = await ledger.startRun('a', '2025-01-01T00:00:00.000Z');
        expect((await ledger.listRuns({ integration: 'a' })).map((r) => r.id)).toEqual([second.id, first.id]);
      });

      it('lists runs by status and pages on from the last run read, equal starts included', async () => {
        const a1 = await ledger.startRun('a', '2025-01-01T00:00:00.000Z');
        const a2 = await ledger.startRun('a', '2025-01-02T00:00:00.000Z');
        const a3 = await ledger.startRun('a', '2025-01-02T00:00:00.000Z');
        const b1 = await ledger.startRun('b', '2025-01-03T00:00:00.000Z');
        await ledger.finishRun(a2.id, 'completed', {}, null);
        await ledger.finishRun(b1.id, 'completed', {}, null);
        const ids = async (options: Parameters<Ledger['listRuns']>[0]) =>
          (await ledger.listRuns(options)).map((r) => r.id);
        expect(await ids({ status: 'completed' })).toEqual([b1.id, a2.id]);
        expect(await ids({ status: 'running', integration: 'a' })).toEqual([a3.id, a1.id]);
        const pages: string[][] = [];
        let beforeId: string | undefined;
        for (;;) {
          const page = await ids({ integration: 'a', limit: 2, ...(beforeId ? { beforeId } : {}) });
          if (page.length === 0) break;
          pages.push(page);
          beforeId = page.at(-1);
        }
        expect(pages).toEqual([[a3.id, a2.id], [a1.id]]);
        expect(await ids({ beforeId: b1.id, status: 'completed' })).toEqual([a2.id]);
        expect(await ids({ beforeId: `${a1.id}-unknown` })).toEqual([]);
      });

      it('finishes a run with its status, counts and report', async () => {
        const run = await ledger.startRun('a', '2025-01-01T00:00:00.000Z');
        await ledger.finishRun(
          run.id,
          'completed_with_errors',
          { delivered: 9, quarantined: 1 },
          { summary: 'ok', nested: [1, 2] },
        );
        const finished = await ledger.getRun(run.id);
        expect(finished).toMatchObject({
          status: 'completed_with_errors',
          counts: { delivered: 9, quarantined: 1 },
          report: { summary: 'ok', nested: [1, 2] },
        });
        expect(finished?.endedAt).toMatch(RFC3339);
      });

      it('refuses to finish a run it does not know with FERRY_ERR_STATE', async () => {
        const error = await rejection(ledger.finishRun('no-such-run', 'completed', {}, null));
        expect(hasErrorCode(error, 'FERRY_ERR_STATE')).toBe(true);
        expect(String(error)).toContain('no such run');
      });

      it('finds runs by the start of their id, at most the limit', async () => {
        const older = await ledger.startRun('a', '2025-01-01T00:00:00.000Z');
        const newer = await ledger.startRun('b', '2025-01-02T00:00:00.000Z');
        expect((await ledger.findRunsByIdPrefix(older.id)).map((r) => r.id)).toEqual([older.id]);
        expect((await ledger.findRunsByIdPrefix(newer.id.slice(0, -1))).map((r) => r.id)).toEqual([newer.id]);
        expect(await ledger.findRunsByIdPrefix(older.id, 0)).toEqual([]);
        // No id starts with these; a query language's wildcards must not match anything either.
        for (const prefix of ['%', '_', '*', 'zz-no-such-run']) {
          expect(await ledger.findRunsByIdPrefix(prefix)).toEqual([]);
        }
      });

      it('never marks a run it started and has not finished as crashed', async () => {
        const run = await ledger.startRun('a', '2025-01-01T00:00:00.000Z');
        expect(await ledger.markCrashedRuns('a')).toEqual([]);
        expect((await ledger.getRun(run.id))?.status).toBe('running');
      });

      it('marks runs left running by a ledger that went away as crashed, only of the integration asked', async ({
        skip,
      }) => {
        skip(subject.reopen === undefined, 'needs reopen');
        const stale = await ledger.startRun('a', '2025-01-01T00:00:00.000Z');
        const otherIntegration = await ledger.startRun('b', '2025-01-01T00:00:00.000Z');
        // The process dies: its ledger goes away with the runs still 'running'.
        await ledger.close();
        const next = await reopen();
        const current = await next.startRun('a', '2025-01-05T00:00:00.000Z');
        expect(await next.markCrashedRuns('a')).toEqual([stale.id]);
        const crashed = await next.getRun(stale.id);
        expect(crashed?.status).toBe('crashed');
        expect(crashed?.endedAt).toMatch(RFC3339);
        expect((await next.getRun(current.id))?.status).toBe('running');
        expect((await next.getRun(otherIntegration.id))?.status).toBe('running');
        expect(await next.markCrashedRuns('a')).toEqual([]);
      });

      it('leaves the runs of a ledger that is still open alone', async ({ skip }) => {
        skip(subject.reopen === undefined, 'needs reopen');
        const run = await ledger.startRun('a', '2025-01-01T00:00:00.000Z');
        const reader = await reopen();
        expect(await reader.markCrashedRuns('a')).toEqual([]);
        expect((await ledger.getRun(run.id))?.status).toBe('running');
      });
    });

    describe('checkpoints', () => {
      it('round-trips a checkpoint per integration and clears it with null', async () => {
        const run = await ledger.startRun('i', '2025-01-01T00:00:00.000Z');
        expect(await ledger.getCheckpoint('i')).toBeNull();
        const checkpoint = {
          nextUrl: 'https://api.example.com/customers?cursor=abc',
          pageNumber: 4,
          extra: { cursor: 'abc' },
        };
        await ledger.saveCheckpoint('i', checkpoint, run.id);
        expect(await ledger.getCheckpoint('i')).toEqual(checkpoint);
        expect(await ledger.getCheckpoint('other')).toBeNull();
        await ledger.saveCheckpoint('i', null, run.id);
        expect(await ledger.getCheckpoint('i')).toBeNull();
      });

      it('says an integration read its source to the end only once its checkpoint was cleared', async () => {
        const run = await ledger.startRun('i', '2025-01-01T00:00:00.000Z');
        expect(await ledger.hasReadToEnd('i')).toBe(false);
        await ledger.saveCheckpoint(
          'i',
          { nextUrl: 'https://api.example.com/c?page=2', pageNumber: 2 },
          run.id,
        );
        expect(await ledger.hasReadToEnd('i')).toBe(false);
        await ledger.saveCheckpoint('i', null, run.id);
        expect(await ledger.hasReadToEnd('i')).toBe(true);
        expect(await ledger.hasReadToEnd('other')).toBe(false);
      });

      it('never stores a secret in a checkpoint URL', async () => {
        const run = await ledger.startRun('i', '2025-01-01T00:00:00.000Z');
        await ledger.saveCheckpoint(
          'i',
          { nextUrl: 'https://api.example.com/c?page=2&api_key=s3cr3t-value', pageNumber: 2 },
          run.id,
        );
        expect((await ledger.getCheckpoint('i'))?.nextUrl).not.toContain('s3cr3t-value');
      });

      it('keeps a high-water mark with its checkpoint until a save gives another', async () => {
        const run = await ledger.startRun('i', '2025-01-01T00:00:00.000Z');
        expect(await ledger.getHighWaterMark('i')).toBeNull();
        const first = {
          field: 'updated_at',
          mark: null,
          pending: '2025-01-02T00:00:00.5Z',
          retryFrom: '2025-01-01T12:00:00Z',
        };
        await ledger.saveCheckpoint('i', { nextUrl: 'https://api.example.com/c?page=2' }, run.id, first);
        expect(await ledger.getHighWaterMark('i')).toEqual(first);
        // A checkpoint saved without a mark (a source that does not read incrementally) keeps the stored one.
        await ledger.saveCheckpoint('i', { nextUrl: 'https://api.example.com/c?page=3' }, run.id);
        expect(await ledger.getHighWaterMark('i')).toEqual(first);
        const done = { field: 'id', mark: 4711, pending: null, retryFrom: null };
        await ledger.saveCheckpoint('i', null, run.id, done);
        expect(await ledger.getHighWaterMark('i')).toEqual(done);
        expect(await ledger.getCheckpoint('i')).toBeNull();
        expect(await ledger.getHighWaterMark('other')).toBeNull();
      });

      it('stores a checkpoint after the updates queued before it', async ({ skip }) => {
        skip(subject.reopen === undefined, 'needs reopen');
        const run = await ledger.startRun('i', '2025-01-01T00:00:00.000Z');
        const queued = ledger.update('i', run.id, [{ key: 'a', state: 'delivered' }]);
        await ledger.saveCheckpoint(
          'i',
          { nextUrl: 'https://api.example.com/customers?page=2', pageNumber: 2 },
          run.id,
        );
        const other = await reopen();
        expect((await other.getRecords('i', ['a'])).get('a')?.state).toBe('delivered');
        await queued;
      });
    });

    describe('records', () => {
      it('starts a new record at zero attempts, stamped with its run and an RFC 3339 time', async () => {
        const run = await ledger.startRun('i', '2025-01-01T00:00:00.000Z');
        await ledger.update('i', run.id, [{ key: 'a', state: 'pending' }]);
        const row = (await ledger.getRecords('i', ['a'])).get('a');
        expect(row).toMatchObject({
          key: 'a',
          state: 'pending',
          attempts: 0,
          firstMappedAt: null,
          bodyHash: null,
          lastError: null,
          runId: run.id,
          keyGeneration: 0,
          refused: null,
          openDeadLetter: false,
        });
        expect(row?.updatedAt).toMatch(RFC3339);
      });

      it('keeps what an update leaves unset, and firstMappedAt once it is set', async () => {
        const run = await ledger.startRun('i', '2025-01-01T00:00:00.000Z');
        await ledger.update('i', run.id, [
          {
            key: 'a',
            state: 'in_flight',
            attempts: 1,
            firstMappedAt: '2025-01-01T00:00:00Z',
            bodyHash: 'h1',
            lastError: 'timeout',
          },
        ]);
        await ledger.update('i', run.id, [{ key: 'a', state: 'pending' }]);
        expect((await ledger.getRecords('i', ['a'])).get('a')).toMatchObject({
          state: 'pending',
          attempts: 1,
          firstMappedAt: '2025-01-01T00:00:00Z',
          bodyHash: 'h1',
          lastError: 'timeout',
        });
        await ledger.update('i', run.id, [
          {
            key: 'a',
            state: 'delivered',
            attempts: 2,
            firstMappedAt: '2030-06-06T00:00:00Z',
            lastError: null,
          },
        ]);
        expect((await ledger.getRecords('i', ['a'])).get('a')).toMatchObject({
          state: 'delivered',
          attempts: 2,
          firstMappedAt: '2025-01-01T00:00:00Z',
          bodyHash: 'h1',
          lastError: null,
        });
      });

      it('keeps the key generation and the last status until an update sets them', async () => {
        const run = await ledger.startRun('i', '2025-01-01T00:00:00.000Z');
        await ledger.update('i', run.id, [{ key: 'a', state: 'failed', refused: true, lastError: '400' }]);
        const row = async () => (await ledger.getRecords('i', ['a'])).get('a');
        expect(await row()).toMatchObject({ keyGeneration: 0, refused: true });
        await ledger.updateNow('i', run.id, [{ key: 'a', state: 'in_flight', keyGeneration: 1 }]);
        expect(await row()).toMatchObject({ keyGeneration: 1, refused: true });
        await ledger.update('i', run.id, [{ key: 'a', state: 'failed', refused: null }]);
        expect(await row()).toMatchObject({ keyGeneration: 1, refused: null });
      });

      it('remembers the version the destination holds until an update sets or clears it', async () => {
        const run = await ledger.startRun('i', '2025-01-01T00:00:00.000Z');
        const row = async () => (await ledger.getRecords('i', ['a'])).get('a');
        await ledger.updateNow('i', run.id, [{ key: 'a', state: 'in_flight', bodyHash: 'v1' }]);
        expect((await row())?.deliveredHash ?? null).toBeNull();
        await ledger.update('i', run.id, [{ key: 'a', state: 'delivered', deliveredHash: 'v1' }]);
        expect(await row()).toMatchObject({ state: 'delivered', deliveredHash: 'v1', bodyHash: 'v1' });
        // An update in flight, then failed: the destination still holds v1.
        await ledger.updateNow('i', run.id, [{ key: 'a', state: 'in_flight', bodyHash: 'v2' }]);
        await ledger.update('i', run.id, [{ key: 'a', state: 'failed', lastError: '503' }]);
        expect(await row()).toMatchObject({ state: 'failed', deliveredHash: 'v1', bodyHash: 'v2' });
        // Deleted at the destination: it holds nothing.
        await ledger.update('i', run.id, [{ key: 'a', state: 'delivered', deliveredHash: null }]);
        expect(await row()).toMatchObject({ state: 'delivered', deliveredHash: null });
      });

      it('says which records have an open dead letter, of their own integration', async () => {
        const i = await ledger.startRun('i', '2025-01-01T00:00:00.000Z');
        const j = await ledger.startRun('j', '2025-01-01T00:00:00.000Z');
        await ledger.update('i', i.id, [
          { key: 'a', state: 'failed' },
          { key: 'b', state: 'quarantined' },
          { key: 'c', state: 'failed' },
        ]);
        await ledger.update('j', j.id, [{ key: 'c', state: 'failed' }]);
        await ledger.addDeadLetter(letter('i', 'a', i.id, 'failed'));
        await ledger.addDeadLetter(letter('i', 'b', i.id, 'quarantined'));
        await ledger.addDeadLetter(letter('j', 'c', j.id, 'failed'));
        const open = async () =>
          Object.fromEntries(
            [...(await ledger.getRecords('i', ['a', 'b', 'c']))].map(([k, r]) => [k, r.openDeadLetter]),
          );
        expect(await open()).toEqual({ a: true, b: true, c: false });
        const [failed] = await ledger.listDeadLetters({ integration: 'i', state: 'failed' });
        await ledger.resolveDeadLetter(failed!.id, '2025-01-02T00:00:00Z');
        const quarantined = await ledger.listDeadLetters({ integration: 'i', state: 'quarantined' });
        await ledger.purgeDeadLetters({ ids: quarantined.map((l) => l.id) });
        expect(await open()).toEqual({ a: false, b: false, c: false });
      });

      it('keeps the records of each integration apart', async () => {
        const i = await ledger.startRun('i', '2025-01-01T00:00:00.000Z');
        const j = await ledger.startRun('j', '2025-01-01T00:00:00.000Z');
        await ledger.update('i', i.id, [{ key: 'k', state: 'delivered', attempts: 1 }]);
        await ledger.update('j', j.id, [{ key: 'k', state: 'in_flight', attempts: 3 }]);
        expect((await ledger.getRecords('i', ['k'])).get('k')).toMatchObject({
          state: 'delivered',
          attempts: 1,
          runId: i.id,
        });
        expect((await ledger.getRecords('j', ['k'])).get('k')).toMatchObject({
          state: 'in_flight',
          attempts: 3,
        });
        expect(await ledger.listInFlight('i')).toEqual([]);
        expect((await ledger.listInFlight('j')).map((r) => r.key)).toEqual(['k']);
        expect((await ledger.getRecords('other', ['k'])).size).toBe(0);
      });

      it('reads many keys at once and lists the in-flight records in key order', async () => {
        const run = await ledger.startRun('i', '2025-01-01T00:00:00.000Z');
        const keys = Array.from({ length: 1300 }, (_, n) => `key-${String(n).padStart(4, '0')}`);
        const updates: RecordUpdate[] = keys.map((key, n) => ({
          key,
          state: n % 100 === 0 ? 'in_flight' : 'delivered',
        }));
        await ledger.update('i', run.id, [...updates].reverse());
        const rows = await ledger.getRecords('i', [...keys, 'missing']);
        expect(rows.size).toBe(1300);
        expect(rows.has('missing')).toBe(false);
        expect(rows.get('key-0001')?.state).toBe('delivered');
        expect((await ledger.listInFlight('i')).map((r) => r.key)).toEqual(
          keys.filter((_, n) => n % 100 === 0),
        );
        expect((await ledger.getRecords('i', [])).size).toBe(0);
      });

      it('rejects a record state it does not know with FERRY_ERR_STATE and stores nothing of it', async () => {
        const run = await ledger.startRun('i', '2025-01-01T00:00:00.000Z');
        const error = await rejection(
          ledger.update('i', run.id, [{ key: 'orphan', state: 'bogus' as 'delivered' }]),
        );
        expect(hasErrorCode(error, 'FERRY_ERR_STATE')).toBe(true);
        expect((await ledger.getRecords('i', ['orphan'])).size).toBe(0);
        await ledger.update('i', run.id, [{ key: 'good', state: 'delivered' }]);
        expect((await ledger.getRecords('i', ['good'])).size).toBe(1);
      });

      it('shows a read the updates queued before it', async () => {
        const run = await ledger.startRun('i', '2025-01-01T00:00:00.000Z');
        const queued = ledger.update('i', run.id, [{ key: 'a', state: 'delivered' }]);
        expect((await ledger.getRecords('i', ['a'])).get('a')?.state).toBe('delivered');
        await queued;
      });

      it('makes updateNow durable once it resolves, with the updates queued before it', async ({ skip }) => {
        skip(subject.reopen === undefined, 'needs reopen');
        const run = await ledger.startRun('i', '2025-01-01T00:00:00.000Z');
        const queued = ledger.update('i', run.id, [{ key: 'done', state: 'delivered', attempts: 1 }]);
        await ledger.updateNow('i', run.id, [
          { key: 'a', state: 'in_flight', attempts: 1 },
          { key: 'b', state: 'in_flight', attempts: 1 },
        ]);
        const other = await reopen();
        const rows = await other.getRecords('i', ['a', 'b', 'done']);
        expect(Object.fromEntries([...rows].map(([k, r]) => [k, r.state]))).toEqual({
          a: 'in_flight',
          b: 'in_flight',
          done: 'delivered',
        });
        await queued;
      });

      it('makes queued updates durable once flush resolves', async ({ skip }) => {
        skip(subject.reopen === undefined, 'needs reopen');
        const run = await ledger.startRun('i', '2025-01-01T00:00:00.000Z');
        const queued = ledger.update('i', run.id, [{ key: 'a', state: 'delivered' }]);
        const letterQueued = ledger.addDeadLetter(letter('i', 'b', run.id));
        await ledger.flush();
        const other = await reopen();
        expect((await other.getRecords('i', ['a'])).get('a')?.state).toBe('delivered');
        expect((await other.listDeadLetters()).map((l) => l.key)).toEqual(['b']);
        await Promise.all([queued, letterQueued]);
      });
    });

    describe('record history', () => {
      it('keeps every state a record took in each run, with attempts, reasons, body hash and its dead letters', async () => {
        const first = await ledger.startRun('i', '2025-01-01T00:00:00.000Z');
        await ledger.updateNow('i', first.id, [
          { key: 'c-1', state: 'in_flight', attempts: 1, bodyHash: 'h1' },
        ]);
        await ledger.update('i', first.id, [
          { key: 'c-1', state: 'failed', attempts: 3, lastError: 'HTTP 503' },
        ]);
        await ledger.addDeadLetter({
          integration: 'i',
          key: 'c-1',
          runId: first.id,
          state: 'failed',
          record: { id: 1 },
          body: { orderId: 'ORD-1' },
          reasons: [{ code: 'destination_503', message: 'HTTP 503' }],
        });
        await ledger.update('i', first.id, [{ key: 'c-2', state: 'delivered', attempts: 1 }]);
        await ledger.finishRun(first.id, 'completed_with_errors', {}, null);
        const second = await ledger.startRun('i', '2025-01-02T00:00:00.000Z');
        await ledger.updateNow('i', second.id, [
          { key: 'c-1', state: 'in_flight', attempts: 4, bodyHash: 'h2' },
        ]);
        await ledger.update('i', second.id, [
          { key: 'c-1', state: 'delivered', attempts: 4, lastError: null },
        ]);

        const [history, ...others] = await ledger.recordHistory('c-1');
        expect(others).toEqual([]);
        expect(history?.integration).toBe('i');
        expect(history?.record).toMatchObject({
          key: 'c-1',
          state: 'delivered',
          attempts: 4,
          bodyHash: 'h2',
        });
        expect(history?.changes.map(({ at: _, ...change }) => change)).toEqual([
          { runId: first.id, state: 'in_flight', attempts: 1, bodyHash: 'h1', reason: null },
          { runId: first.id, state: 'failed', attempts: 3, bodyHash: 'h1', reason: 'HTTP 503' },
          { runId: second.id, state: 'in_flight', attempts: 4, bodyHash: 'h2', reason: null },
          { runId: second.id, state: 'delivered', attempts: 4, bodyHash: 'h2', reason: null },
        ]);
        for (const change of history?.changes ?? []) expect(change.at).toMatch(RFC3339);
        expect(history?.deadLetters).toMatchObject([
          { runId: first.id, state: 'failed', body: { orderId: 'ORD-1' } },
        ]);
        expect((await ledger.recordHistory('c-2'))[0]?.changes).toHaveLength(1);
      });

      it('finds a key in each integration that has it, or only in the one asked for', async () => {
        for (const integration of ['b', 'a']) {
          const run = await ledger.startRun(integration, '2025-01-01T00:00:00.000Z');
          await ledger.update(integration, run.id, [{ key: 'k', state: 'delivered', attempts: 1 }]);
        }
        expect((await ledger.recordHistory('k')).map((h) => h.integration)).toEqual(['a', 'b']);
        expect((await ledger.recordHistory('k', { integration: 'b' })).map((h) => h.integration)).toEqual([
          'b',
        ]);
        expect(await ledger.recordHistory('k', { integration: 'none' })).toEqual([]);
        expect(await ledger.recordHistory('missing')).toEqual([]);
      });
    });

    describe('dead letters', () => {
      it('round-trips a dead letter with its record, body and reasons, secrets masked', async () => {
        registerSecret('tok-very-secret');
        const run = await ledger.startRun('i', '2025-01-01T00:00:00.000Z');
        const reasons = [
          { field: 'email', code: 'required', message: 'email is missing' },
          { code: 'destination_422', message: 'rejected with tok-very-secret' },
        ];
        await ledger.addDeadLetter({
          integration: 'i',
          key: 'c-7',
          runId: run.id,
          state: 'failed',
          record: { customer_id: 7, note: 'tok-very-secret' },
          body: { orderId: 'ORD-7' },
          reasons,
        });
        const [stored, ...rest] = await ledger.listDeadLetters();
        expect(rest).toEqual([]);
        expect(stored).toMatchObject({
          integration: 'i',
          key: 'c-7',
          runId: run.id,
          state: 'failed',
          record: { customer_id: 7, note: '[REDACTED]' },
          body: { orderId: 'ORD-7' },
          resolvedAt: null,
        });
        expect(stored?.reasons).toEqual([
          reasons[0],
          { code: 'destination_422', message: 'rejected with [REDACTED]' },
        ]);
        expect(stored?.createdAt).toMatch(RFC3339);
        expect(await ledger.getDeadLetter(stored!.id)).toEqual(stored);
      });

      it('stores a dead letter without a body as null, and knows no letter it never stored', async () => {
        const run = await ledger.startRun('i', '2025-01-01T00:00:00.000Z');
        await ledger.addDeadLetter({ ...letter('i', 'k', run.id, 'quarantined'), body: undefined });
        const [stored] = await ledger.listDeadLetters();
        expect(stored?.body).toBeNull();
        expect(await ledger.getDeadLetter(stored!.id + 1_000_000)).toBeUndefined();
      });

      it('filters by integration, state and resolution, newest first', async () => {
        const run = await ledger.startRun('a', '2025-01-01T00:00:00.000Z');
        await ledger.addDeadLetter(letter('a', '1', run.id, 'quarantined'));
        await ledger.addDeadLetter(letter('a', '2', run.id, 'failed'));
        await ledger.addDeadLetter(letter('b', '3', run.id, 'failed'));
        const keys = async (options?: Parameters<Ledger['listDeadLetters']>[0]) =>
          (await ledger.listDeadLetters(options)).map((l) => l.key);
        expect(await keys()).toEqual(['3', '2', '1']);
        expect(await keys({ integration: 'a' })).toEqual(['2', '1']);
        expect(await keys({ state: 'failed' })).toEqual(['3', '2']);
        expect(await keys({ integration: 'a', state: 'quarantined' })).toEqual(['1']);
        const [quarantined] = await ledger.listDeadLetters({ state: 'quarantined' });
        await ledger.resolveDeadLetter(quarantined!.id, '2025-02-02T00:00:00Z');
        expect(await keys({ integration: 'a' })).toEqual(['2']);
        const all = await ledger.listDeadLetters({ integration: 'a', includeResolved: true });
        expect(all.map((l) => [l.key, l.resolvedAt])).toEqual([
          ['2', null],
          ['1', '2025-02-02T00:00:00Z'],
        ]);
      });

      it('filters by run, reason code and field, and counts the same way', async () => {
        const first = await ledger.startRun('a', '2025-01-01T00:00:00.000Z');
        const second = await ledger.startRun('a', '2025-01-02T00:00:00.000Z');
        const reasons = (...pairs: [string, string | undefined][]) =>
          pairs.map(([code, field]) => ({ code, message: code, ...(field ? { field } : {}) }));
        await ledger.addDeadLetter({
          ...letter('a', '1', first.id),
          reasons: reasons(['required', 'email']),
        });
        await ledger.addDeadLetter({
          ...letter('a', '2', second.id),
          reasons: reasons(['format', 'email'], ['required', 'zip']),
        });
        await ledger.addDeadLetter({
          ...letter('a', '3', second.id),
          reasons: reasons(['destination_500', undefined]),
        });
        const keys = async (options: Parameters<Ledger['listDeadLetters']>[0]) =>
          (await ledger.listDeadLetters(options)).map((l) => l.key);
        expect(await keys({ runId: second.id })).toEqual(['3', '2']);
        expect(await keys({ reason: 'required' })).toEqual(['2', '1']);
        expect(await keys({ field: 'email' })).toEqual(['2', '1']);
        expect(await keys({ field: 'email', reason: 'required' })).toEqual(['2', '1']);
        expect(await keys({ runId: second.id, field: 'zip' })).toEqual(['2']);
        expect(await keys({ reason: 'requir' })).toEqual([]);
        expect(await ledger.countDeadLetters({ reason: 'required', runId: first.id })).toBe(1);
        expect(
          await keys({
            field: 'email',
            limit: 1,
            beforeId: (await ledger.listDeadLetters({ limit: 1 }))[0]!.id,
          }),
        ).toEqual(['2']);
      });

      it('limits a listing and pages on from the last letter read, with or without a filter', async () => {
        const run = await ledger.startRun('a', '2025-01-01T00:00:00.000Z');
        for (const [integration, key] of [
          ['a', '1'],
          ['b', '2'],
          ['a', '3'],
          ['a', '4'],
        ] as const) {
          await ledger.addDeadLetter(letter(integration, key, run.id));
        }
        const keys = (letters: readonly DeadLetter[]) => letters.map((l) => l.key);
        const [newest] = await ledger.listDeadLetters({ limit: 1 });
        expect(newest?.key).toBe('4');
        expect(keys(await ledger.listDeadLetters({ limit: 2, beforeId: newest!.id }))).toEqual(['3', '2']);
        // As dlq replay streams them: a page at a time until an empty one.
        const pages: string[][] = [];
        let beforeId: number | undefined;
        for (;;) {
          const page = await ledger.listDeadLetters({
            integration: 'a',
            limit: 2,
            ...(beforeId === undefined ? {} : { beforeId }),
          });
          if (page.length === 0) break;
          pages.push(keys(page));
          beforeId = page.at(-1)!.id;
        }
        expect(pages).toEqual([['4', '3'], ['1']]);
        expect(await ledger.listDeadLetters({ limit: 0 })).toEqual([]);
      });

      it('counts what a listing without a limit would return', async () => {
        const run = await ledger.startRun('a', '2025-01-01T00:00:00.000Z');
        await ledger.addDeadLetter(letter('a', '1', run.id, 'quarantined'));
        await ledger.addDeadLetter(letter('a', '2', run.id, 'failed'));
        await ledger.addDeadLetter(letter('b', '3', run.id, 'failed'));
        expect(await ledger.countDeadLetters()).toBe(3);
        expect(await ledger.countDeadLetters({ integration: 'a' })).toBe(2);
        expect(await ledger.countDeadLetters({ integration: 'a', state: 'failed' })).toBe(1);
        const [newest] = await ledger.listDeadLetters({ limit: 1 });
        await ledger.resolveDeadLetter(newest!.id, '2025-02-02T00:00:00Z');
        expect(await ledger.countDeadLetters()).toBe(2);
        expect(await ledger.countDeadLetters({ includeResolved: true })).toBe(3);
      });

      it('refuses to resolve a dead letter it does not have with FERRY_ERR_USAGE', async () => {
        const run = await ledger.startRun('a', '2025-01-01T00:00:00.000Z');
        await ledger.addDeadLetter(letter('a', '1', run.id));
        const [stored] = await ledger.listDeadLetters();
        const missing = stored!.id + 1_000_000;
        const error = await rejection(ledger.resolveDeadLetter(missing, '2025-02-02T00:00:00Z'));
        expect(hasErrorCode(error, 'FERRY_ERR_USAGE')).toBe(true);
        expect(String(error)).toContain(`no dead letter with id ${missing}`);
      });

      it('purges by integration or ids, counting what it deleted', async () => {
        const run = await ledger.startRun('a', '2025-01-01T00:00:00.000Z');
        for (const [integration, key] of [
          ['a', '1'],
          ['a', '2'],
          ['a', '3'],
          ['b', '4'],
        ] as const) {
          await ledger.addDeadLetter(letter(integration, key, run.id));
        }
        const ids = (await ledger.listDeadLetters({ integration: 'a' })).map((l) => l.id);
        const [letterB] = await ledger.listDeadLetters({ integration: 'b' });
        expect(await ledger.purgeDeadLetters({ ids: [ids[0]!, letterB!.id + 1_000_000] })).toBe(1);
        expect(await ledger.purgeDeadLetters({ integration: 'b', ids })).toBe(0);
        expect(await ledger.purgeDeadLetters({ integration: 'a' })).toBe(2);
        expect((await ledger.listDeadLetters({ includeResolved: true })).map((l) => l.key)).toEqual(['4']);
        expect(await ledger.purgeDeadLetters({ ids: [] })).toBe(0);
      });

      it('refuses to purge without an integration or ids with FERRY_ERR_USAGE', async () => {
        const error = await rejection(ledger.purgeDeadLetters({}));
        expect(hasErrorCode(error, 'FERRY_ERR_USAGE')).toBe(true);
      });
    });

    describe('inbox', () => {
      const at = '2025-01-01T00:00:00.000Z';
      function event(eventId: string, more: Partial<InboxEvent> = {}): InboxEvent {
        return {
          integration: 'hooks',
          eventId,
          key: null,
          version: null,
          payload: { id: eventId },
          receivedAt: at,
          ...more,
        };
      }
      const roomy = { maxPending: 100 };

      it('stores accepted events and reads the pending ones in arrival order, after a seq, at most a limit', async () => {
        const seqs: number[] = [];
        for (const id of ['e1', 'e2', 'e3']) {
          const added = await ledger.inboxAdd(event(id, { key: `k-${id}`, payload: { n: id } }), roomy);
          expect(added.outcome).toBe('accepted');
          seqs.push(added.seq!);
        }
        expect(seqs[1]!).toBeGreaterThan(seqs[0]!);
        expect(seqs[2]!).toBeGreaterThan(seqs[1]!);
        const all = await ledger.inboxRead('hooks', 0, 10);
        expect(all).toEqual(
          ['e1', 'e2', 'e3'].map((id, i) => ({
            seq: seqs[i],
            integration: 'hooks',
            eventId: id,
            key: `k-${id}`,
            version: null,
            payload: { n: id },
            receivedAt: at,
          })),
        );
        expect((await ledger.inboxRead('hooks', seqs[0]!, 1)).map((e) => e.eventId)).toEqual(['e2']);
        expect(await ledger.inboxRead('other', 0, 10)).toEqual([]);
      });

      it('answers a redelivered event id as a duplicate and stores nothing, even once processed', async () => {
        const first = await ledger.inboxAdd(event('e1'), roomy);
        expect(await ledger.inboxAdd(event('e1', { payload: { changed: true } }), roomy)).toEqual({
          outcome: 'duplicate',
        });
        await ledger.inboxAcknowledge('hooks', first.seq!);
        expect(await ledger.inboxAdd(event('e1'), roomy)).toEqual({ outcome: 'duplicate' });
        expect(await ledger.inboxRead('hooks', 0, 10)).toEqual([]);
        expect((await ledger.inboxAdd(event('e1', { integration: 'other' }), roomy)).outcome).toBe(
          'accepted',
        );
      });

      it('refuses an event while the limit of pending events wait, storing nothing of it', async () => {
        const first = await ledger.inboxAdd(event('e1'), { maxPending: 2 });
        await ledger.inboxAdd(event('e2'), { maxPending: 2 });
        expect(await ledger.inboxAdd(event('e3'), { maxPending: 2 })).toEqual({ outcome: 'full' });
        expect((await ledger.inboxRead('hooks', 0, 10)).map((e) => e.eventId)).toEqual(['e1', 'e2']);
        await ledger.inboxAcknowledge('hooks', first.seq!);
        expect((await ledger.inboxAdd(event('e3'), { maxPending: 2 })).outcome).toBe('accepted');
      });

      it('keeps the events of a key in order, and an event older than one stored for its key as stale', async () => {
        const v = (eventId: string, version: number, key = 'c1') => event(eventId, { key, version });
        expect((await ledger.inboxAdd(v('a', 100), roomy)).outcome).toBe('accepted');
        expect((await ledger.inboxAdd(v('b', 300), roomy)).outcome).toBe('accepted');
        const stale = await ledger.inboxAdd(v('c', 200), roomy);
        expect(stale.outcome).toBe('stale');
        expect(stale.seq).toBeTypeOf('number');
        expect((await ledger.inboxAdd(v('x', 50, 'c2'), roomy)).outcome).toBe('accepted');
        expect((await ledger.inboxRead('hooks', 0, 10)).map((e) => e.eventId)).toEqual(['a', 'b', 'x']);
        // A stale event is remembered: its redelivery is a duplicate.
        expect((await ledger.inboxAdd(v('c', 200), roomy)).outcome).toBe('duplicate');
        // An equal version arriving later is no older: it is taken after the one before it.
        expect((await ledger.inboxAdd(v('d', 300), roomy)).outcome).toBe('accepted');
        expect((await ledger.inboxRead('hooks', 0, 10)).map((e) => e.eventId)).toEqual(['a', 'b', 'x', 'd']);
        // Still stale after the newest was processed.
        const read = await ledger.inboxRead('hooks', 0, 10);
        await ledger.inboxAcknowledge('hooks', read.at(-1)!.seq);
        expect((await ledger.inboxAdd(v('e', 250), roomy)).outcome).toBe('stale');
      });

      it('never orders events without a key or a version', async () => {
        await ledger.inboxAdd(event('a', { key: 'c1', version: 300 }), roomy);
        expect((await ledger.inboxAdd(event('b', { key: 'c1', version: null }), roomy)).outcome).toBe(
          'accepted',
        );
        expect((await ledger.inboxAdd(event('c', { key: null, version: 100 }), roomy)).outcome).toBe(
          'accepted',
        );
        expect((await ledger.inboxRead('hooks', 0, 10)).map((e) => e.eventId)).toEqual(['a', 'b', 'c']);
      });

      it('acknowledges events up to a seq: they are no longer read or counted, and lose their payload', async () => {
        const a = await ledger.inboxAdd(event('a', { receivedAt: '2025-01-01T00:00:01.000Z' }), roomy);
        await ledger.inboxAdd(event('b', { receivedAt: '2025-01-01T00:00:02.000Z' }), roomy);
        expect(await ledger.inboxStats('hooks')).toEqual({
          pending: 2,
          oldestPendingAt: '2025-01-01T00:00:01.000Z',
        });
        await ledger.inboxAcknowledge('hooks', a.seq!);
        expect((await ledger.inboxRead('hooks', 0, 10)).map((e) => e.eventId)).toEqual(['b']);
        expect(await ledger.inboxStats('hooks')).toEqual({
          pending: 1,
          oldestPendingAt: '2025-01-01T00:00:02.000Z',
        });
        expect(await ledger.inboxStats('other')).toEqual({ pending: 0, oldestPendingAt: null });
      });

      it('prunes what was received before a time and is not pending; a pruned id is accepted again', async () => {
        const old = await ledger.inboxAdd(event('old', { receivedAt: '2025-01-01T00:00:00.000Z' }), roomy);
        await ledger.inboxAdd(event('waiting', { receivedAt: '2025-01-01T00:00:00.000Z' }), roomy);
        await ledger.inboxAdd(event('recent', { receivedAt: '2025-01-03T00:00:00.000Z' }), roomy);
        await ledger.inboxAcknowledge('hooks', old.seq!);
        expect(await ledger.inboxPrune('hooks', '2025-01-02T00:00:00.000Z')).toBe(1);
        expect((await ledger.inboxRead('hooks', 0, 10)).map((e) => e.eventId)).toEqual(['waiting', 'recent']);
        const again = await ledger.inboxAdd(event('old'), roomy);
        expect(again.outcome).toBe('accepted');
        expect(await ledger.inboxPrune('other', '2030-01-01T00:00:00.000Z')).toBe(0);
      });

      it('never gives a seq again, even after the newest events were pruned', async () => {
        const a = await ledger.inboxAdd(event('a'), roomy);
        await ledger.inboxAcknowledge('hooks', a.seq!);
        await ledger.inboxPrune('hooks', '2030-01-01T00:00:00.000Z');
        const b = await ledger.inboxAdd(event('b'), roomy);
        expect(b.seq!).toBeGreaterThan(a.seq!);
      });

      it('never stores a secret in an event payload', async () => {
        registerSecret('whsec-contract-secret-42');
        await ledger.inboxAdd(
          event('s', { payload: { note: 'leaked whsec-contract-secret-42 here' } }),
          roomy,
        );
        const [stored] = await ledger.inboxRead('hooks', 0, 10);
        expect(JSON.stringify(stored?.payload)).not.toContain('whsec-contract-secret-42');
      });

      it('keeps accepted events for the next ledger on the same store', async ({ skip }) => {
        skip(subject.reopen === undefined, 'needs reopen');
        await ledger.inboxAdd(event('kept', { key: 'c1', version: 5 }), roomy);
        await ledger.close();
        const next = await reopen();
        expect((await next.inboxRead('hooks', 0, 10)).map((e) => e.eventId)).toEqual(['kept']);
        expect((await next.inboxAdd(event('kept'), roomy)).outcome).toBe('duplicate');
        expect((await next.inboxAdd(event('older', { key: 'c1', version: 4 }), roomy)).outcome).toBe('stale');
      });
    });

    describe('closing and reopening', () => {
      it('writes what is queued on close, then refuses further use with FERRY_ERR_STATE', async () => {
        const run = await ledger.startRun('a', '2025-01-01T00:00:00.000Z');
        const queued = ledger.update('a', run.id, [{ key: 'k', state: 'delivered' }]);
        await ledger.close();
        await queued;
        for (const call of [
          () => ledger.update('a', run.id, [{ key: 'k', state: 'failed' }]),
          () => ledger.listRuns(),
          () => ledger.getRecords('a', ['k']),
        ]) {
          expect(hasErrorCode(await rejection(call()), 'FERRY_ERR_STATE')).toBe(true);
        }
        await ledger.close();
      });

      it('keeps runs, checkpoints, records and dead letters for the next ledger on the same store', async ({
        skip,
      }) => {
        skip(subject.reopen === undefined, 'needs reopen');
        const run = await ledger.startRun('a', '2025-01-01T00:00:00.000Z');
        await ledger.updateNow('a', run.id, [{ key: 'k', state: 'in_flight', attempts: 1 }]);
        const queued = ledger.update('a', run.id, [
          { key: 'k', state: 'failed', attempts: 1, lastError: 'x' },
        ]);
        const letterQueued = ledger.addDeadLetter(letter('a', 'k', run.id));
        await ledger.update('a', run.id, [{ key: 'd', state: 'delivered', deliveredHash: 'v9' }]);
        await ledger.saveCheckpoint(
          'a',
          { nextUrl: 'https://api.example.com/c?page=3', pageNumber: 3 },
          run.id,
          { field: 'updated_at', mark: '2025-01-01T00:00:00Z', pending: null, retryFrom: null },
        );
        await ledger.finishRun(run.id, 'completed_with_errors', { failed: 1 }, { done: true });
        await ledger.close();
        await Promise.all([queued, letterQueued]);

        const next = await reopen();
        expect(await next.getRun(run.id)).toMatchObject({
          status: 'completed_with_errors',
          counts: { failed: 1 },
          report: { done: true },
        });
        expect((await next.getCheckpoint('a'))?.pageNumber).toBe(3);
        expect((await next.getHighWaterMark('a'))?.mark).toBe('2025-01-01T00:00:00Z');
        expect((await next.getRecords('a', ['d'])).get('d')?.deliveredHash).toBe('v9');
        expect((await next.getRecords('a', ['k'])).get('k')).toMatchObject({
          state: 'failed',
          attempts: 1,
          lastError: 'x',
          openDeadLetter: true,
        });
        expect((await next.listDeadLetters()).map((l) => l.key)).toEqual(['k']);
        expect((await next.recordHistory('k'))[0]?.changes.map((c) => c.state)).toEqual([
          'in_flight',
          'failed',
        ]);
      });
    });
  });
}
