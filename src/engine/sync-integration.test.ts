import { describe, expect, it } from 'vitest';
import { createMemoryLedger, type MemoryLedger } from '../../test/support/memory-ledger.ts';
import type {
  Checkpoint,
  DeliveryOutcome,
  IncrementalCursor,
  LookupResult,
  OutgoingRecord,
  SinkConnector,
  SourceConnector,
  SourcePage,
} from '../core/connector-types.ts';
import type { CursorValue } from '../core/ledger-types.ts';
import type { RecordMapper } from './engine-types.ts';
import { idempotencyKeyFor } from './idempotency-key.ts';
import { replayDeadLetters } from './replay-dead-letters.ts';
import { runIntegration } from './run-integration.ts';

/** A source record: a customer with a version counter as its cursor. */
interface Customer {
  id: string;
  name: string;
  version: number;
  deleted?: boolean;
  bad?: boolean;
}

/**
 * A source over a mutable list that answers `since` as an API does: the records whose version is at or
 * after it, oldest first, `size` a page. The checkpoint is the index of the next page in that answer.
 */
function versionedSource(
  data: Customer[],
  options: { size?: number; cursor?: Partial<IncrementalCursor> } = {},
): SourceConnector & { sinces: (CursorValue | undefined)[] } {
  const size = options.size ?? 2;
  const sinces: (CursorValue | undefined)[] = [];
  return {
    sinces,
    incremental: { field: 'version', type: 'number', lookback: 0, ...options.cursor },
    async *readPages({ from, since }: { from: Checkpoint | null; since?: CursorValue }) {
      sinces.push(since);
      const matching = data
        .filter((c) => since === undefined || c.version >= Number(since))
        .sort((a, b) => a.version - b.version);
      const start = typeof from?.at === 'number' ? from.at : 0;
      for (let i = start; i < matching.length || i === start; i += size) {
        const records = matching.slice(i, i + size).map((c) => ({ ...c }));
        yield { records, next: i + size < matching.length ? { at: i + size } : null } satisfies SourcePage;
      }
    },
    close: async () => {},
  };
}

const mapper: RecordMapper = {
  keyOf: async (r) => ({ ok: true, key: (r as Customer).id }),
  async isDeleted(r) {
    return (r as Customer).deleted === true;
  },
  async apply(r, { firstMappedAt }) {
    const c = r as Customer;
    if (c.bad) return { ok: false, key: c.id, stage: 'input', reasons: [{ code: 'bad', message: 'bad' }] };
    return { ok: true, key: c.id, body: { orderId: `ORD-${c.id}`, name: c.name, orderDate: firstMappedAt } };
  },
};

/** A destination that keeps one order per orderId and applies creates, updates and deletes. */
function orderBook(
  options: {
    onChange?: SinkConnector['onChange'];
    onDelete?: SinkConnector['onDelete'];
    outcome?: (record: OutgoingRecord) => DeliveryOutcome | undefined;
    lookup?: boolean;
    delay?: (record: OutgoingRecord) => Promise<void> | undefined;
  } = {},
) {
  const orders = new Map<string, Record<string, unknown>>();
  const sent: OutgoingRecord[] = [];
  const sink: SinkConnector = {
    onChange: options.onChange ?? 'update',
    onDelete: options.onDelete ?? 'delete',
    async send(record) {
      sent.push(record);
      await options.delay?.(record);
      const forced = options.outcome?.(record);
      if (forced) return forced;
      const value = record.value as Record<string, unknown>;
      const id = String(value.orderId);
      if (record.operation === 'delete') orders.delete(id);
      else orders.set(id, value);
      return { state: 'delivered', attempts: 1 };
    },
    ...(options.lookup
      ? {
          async lookup(record: OutgoingRecord): Promise<LookupResult> {
            const held = orders.get(String((record.value as { orderId: string }).orderId));
            if (held === undefined) return { found: false };
            const same = (held as { name: unknown }).name === (record.value as { name: unknown }).name;
            return { found: true, matches: same, body: held };
          },
        }
      : {}),
    close: async () => {},
  };
  return { sink, sent, orders };
}

async function runOnce(
  ledger: MemoryLedger,
  source: SourceConnector,
  sink: SinkConnector,
  extra: { concurrency?: number } = {},
) {
  return runIntegration({
    integration: 'sync',
    source,
    sink,
    mapper,
    ledger,
    concurrency: extra.concurrency ?? 4,
  });
}

const customers = (n: number): Customer[] =>
  Array.from({ length: n }, (_, i) => ({ id: `c${i + 1}`, name: `name ${i + 1}`, version: i + 1 }));

describe('incremental reads', () => {
  it('reads everything first, then only what changed since the highest settled cursor', async () => {
    const ledger = createMemoryLedger();
    const data = customers(5);
    const source = versionedSource(data);
    const { sink, sent } = orderBook();
    await runOnce(ledger, source, sink);
    expect(source.sinces).toEqual([undefined]);
    expect(await ledger.getHighWaterMark('sync')).toEqual({
      field: 'version',
      mark: 5,
      pending: null,
      retryFrom: null,
    });

    data[1] = { ...data[1]!, name: 'renamed', version: 6 };
    data.push({ id: 'c6', name: 'new', version: 7 });
    const second = await runOnce(ledger, source, sink);
    // Inclusive: the record at the mark comes again and is skipped by content.
    expect(source.sinces).toEqual([undefined, 5]);
    expect(second.counts).toMatchObject({ read: 3, delivered: 2, skipped: 1 });
    expect(sent.slice(5).map((r) => [r.key, r.operation])).toEqual([
      ['c2', 'update'],
      ['c6', 'create'],
    ]);
    expect((await ledger.getHighWaterMark('sync'))?.mark).toBe(7);
  });

  it('starts each read the lookback before the mark, and skips what it reads again unchanged', async () => {
    const ledger = createMemoryLedger();
    const data = customers(10);
    const source = versionedSource(data, { cursor: { lookback: 3 } });
    const { sink, sent } = orderBook();
    await runOnce(ledger, source, sink);
    // A late write: version 8 committed after version 10 was read.
    data[7] = { ...data[7]!, name: 'late' };
    const second = await runOnce(ledger, source, sink);
    expect(source.sinces).toEqual([undefined, 7]);
    expect(second.counts).toMatchObject({ read: 4, delivered: 1, skipped: 3 });
    expect(sent.at(-1)).toMatchObject({ key: 'c8', operation: 'update' });
  });

  it('does not move the mark past a record that failed without a refusal, so the next read retries it', async () => {
    const ledger = createMemoryLedger();
    const data = customers(6);
    const source = versionedSource(data);
    let down = true;
    const { sink, orders } = orderBook({
      outcome: (r) =>
        down && r.key === 'c3'
          ? { state: 'failed', attempts: 1, reasons: [{ code: 'destination_503', message: '503' }] }
          : undefined,
    });
    const first = await runOnce(ledger, source, sink);
    expect(first.counts).toMatchObject({ delivered: 5, failed: 1 });
    expect((await ledger.getHighWaterMark('sync'))?.mark).toBe(3);
    down = false;
    const second = await runOnce(ledger, source, sink);
    expect(source.sinces).toEqual([undefined, 3]);
    expect(second.counts).toMatchObject({ delivered: 1, skipped: 3 });
    expect(orders.has('ORD-c3')).toBe(true);
    expect((await ledger.getHighWaterMark('sync'))?.mark).toBe(6);
  });

  it('moves the mark past a refused record: a dead letter, not a retry on every read', async () => {
    const ledger = createMemoryLedger();
    const source = versionedSource(customers(4));
    const { sink } = orderBook({
      outcome: (r) =>
        r.key === 'c2'
          ? {
              state: 'failed',
              attempts: 1,
              refused: true,
              reasons: [{ code: 'destination_422', message: '422' }],
            }
          : undefined,
    });
    await runOnce(ledger, source, sink);
    expect((await ledger.getHighWaterMark('sync'))?.mark).toBe(4);
    expect(await ledger.countDeadLetters()).toBe(1);
  });

  it('keeps the mark until a read completes; a read resumed from its checkpoint asks for the same since', async () => {
    const ledger = createMemoryLedger();
    const data = customers(4);
    const source = versionedSource(data);
    await runOnce(ledger, source, orderBook().sink);
    data.push(
      ...customers(10)
        .slice(4)
        .map((c) => ({ ...c })),
    );
    // The next read stops after its first page: the mark stays, the pending value travels with the checkpoint.
    const stop = new AbortController();
    let seen = 0;
    const stopping: SinkConnector = {
      ...orderBook().sink,
      async send() {
        if (++seen === 2) stop.abort();
        return { state: 'delivered', attempts: 1 };
      },
    };
    const partial = await runIntegration({
      integration: 'sync',
      source,
      sink: stopping,
      mapper,
      ledger,
      concurrency: 1,
      stopSignal: stop.signal,
    });
    expect(partial.status).toBe('interrupted');
    const kept = await ledger.getHighWaterMark('sync');
    expect(kept?.mark).toBe(4);
    expect(kept?.pending).toBe(5);
    await runOnce(ledger, source, orderBook().sink);
    expect(source.sinces).toEqual([undefined, 4, 4]);
    expect((await ledger.getHighWaterMark('sync'))?.mark).toBe(10);
  });

  it('asks the first read from the start the source gives, so it is ordered by the cursor too', async () => {
    const ledger = createMemoryLedger();
    const source = versionedSource(customers(3), { cursor: { start: 0 } });
    await runOnce(ledger, source, orderBook().sink);
    await runOnce(ledger, source, orderBook().sink);
    expect(source.sinces).toEqual([0, 3]);
  });

  it('reads everything again when the cursor field changed', async () => {
    const ledger = createMemoryLedger();
    const data = customers(3);
    await runOnce(ledger, versionedSource(data), orderBook().sink);
    const renamed = versionedSource(data, { cursor: { field: 'other' } });
    await runOnce(ledger, renamed, orderBook().sink);
    expect(renamed.sinces).toEqual([undefined]);
  });
});

describe('changes reach the destination', () => {
  it('updates a changed record with a key of its version, and sends an unchanged one nowhere', async () => {
    const ledger = createMemoryLedger();
    const data = customers(2);
    const { sink, sent, orders } = orderBook();
    await runOnce(ledger, versionedSource(data), sink);
    const created = sent[0]!;
    expect(created).toMatchObject({ operation: 'create', idempotencyKey: idempotencyKeyFor('sync', 'c1') });
    data[0] = { ...data[0]!, name: 'v2', version: 3 };
    const second = await runOnce(ledger, versionedSource(data), sink);
    expect(second.counts).toMatchObject({ delivered: 1, skipped: 1 });
    const update = sent[2]!;
    expect(update).toMatchObject({ key: 'c1', operation: 'update', previousVersion: created.version });
    expect(update.idempotencyKey).not.toBe(created.idempotencyKey);
    expect(update.version).not.toBe(created.version);
    // The first delivery's orderDate stays: the ledger keeps the first-mapped time.
    expect((update.value as { orderDate: string }).orderDate).toBe(
      (created.value as { orderDate: string }).orderDate,
    );
    expect(orders.get('ORD-c1')).toMatchObject({ name: 'v2' });
    expect((await ledger.getRecords('sync', ['c1'])).get('c1')?.deliveredHash).toBe(update.version);
  });

  it('sends a failed update again under the same key, then never again once delivered', async () => {
    const ledger = createMemoryLedger();
    const data = customers(1);
    let fail = false;
    const { sink, sent } = orderBook({
      outcome: () =>
        fail
          ? { state: 'failed', attempts: 1, reasons: [{ code: 'destination_503', message: '503' }] }
          : undefined,
    });
    await runOnce(ledger, versionedSource(data), sink);
    data[0] = { ...data[0]!, name: 'v2', version: 2 };
    fail = true;
    const failed = await runOnce(ledger, versionedSource(data), sink);
    expect(failed.counts.failed).toBe(1);
    const row = (await ledger.getRecords('sync', ['c1'])).get('c1');
    expect(row?.deliveredHash).toBe(sent[0]!.version);
    fail = false;
    const retried = await runOnce(ledger, versionedSource(data), sink);
    expect(retried.counts.delivered).toBe(1);
    expect(sent[2]!.idempotencyKey).toBe(sent[1]!.idempotencyKey);
    // The destination may hold either version after the failure: no previous version is claimed.
    expect(sent[2]!.previousVersion).toBeUndefined();
    const again = await runOnce(ledger, versionedSource(data), sink);
    expect(again.counts).toMatchObject({ delivered: 0, skipped: 1 });
  });

  it('leaves a change alone with on_change: skip, and fails it into a dead letter with dead_letter', async () => {
    for (const onChange of ['skip', 'dead_letter'] as const) {
      const ledger = createMemoryLedger();
      const data = customers(1);
      const { sink, sent, orders } = orderBook({ onChange, onDelete: 'ignore' });
      await runOnce(ledger, versionedSource(data), sink);
      data[0] = { ...data[0]!, name: 'v2', version: 2 };
      const second = await runOnce(ledger, versionedSource(data), sink);
      expect(sent).toHaveLength(1);
      expect(orders.get('ORD-c1')).toMatchObject({ name: 'name 1' });
      if (onChange === 'skip') {
        expect(second.counts.skipped).toBe(1);
        continue;
      }
      expect(second.counts.failed).toBe(1);
      const [letter] = await ledger.listDeadLetters();
      expect(letter?.reasons[0]?.code).toBe('changed_after_delivery');
      // The same change read again is a known problem, not a second letter.
      const third = await runOnce(ledger, versionedSource(data), sink);
      expect(third.counts).toMatchObject({ failed: 1, stillFailed: 1 });
      expect(await ledger.countDeadLetters()).toBe(1);
    }
  });

  it('deletes what the destination holds, creates it again under a new key when it comes back', async () => {
    const ledger = createMemoryLedger();
    const data = customers(2);
    const { sink, sent, orders } = orderBook();
    await runOnce(ledger, versionedSource(data), sink);
    data[0] = { ...data[0]!, deleted: true, version: 3 };
    await runOnce(ledger, versionedSource(data), sink);
    expect(sent[2]).toMatchObject({ key: 'c1', operation: 'delete' });
    expect(orders.has('ORD-c1')).toBe(false);
    expect((await ledger.getRecords('sync', ['c1'])).get('c1')).toMatchObject({
      deliveredHash: null,
      keyGeneration: 1,
    });
    // Still deleted: nothing to do.
    data[0] = { ...data[0]!, version: 4 };
    const still = await runOnce(ledger, versionedSource(data), sink);
    expect(still.counts).toMatchObject({ delivered: 0, skipped: 1 });
    data[0] = { ...data[0]!, deleted: false, version: 5 };
    await runOnce(ledger, versionedSource(data), sink);
    expect(sent[3]).toMatchObject({
      key: 'c1',
      operation: 'create',
      idempotencyKey: idempotencyKeyFor('sync', 'c1', 1),
    });
    expect(orders.has('ORD-c1')).toBe(true);
  });

  it('skips a record deleted before it was ever delivered, and every delete with on_delete: ignore', async () => {
    const ledger = createMemoryLedger();
    const data: Customer[] = [{ id: 'gone', name: 'x', version: 1, deleted: true }, ...customers(1)];
    const { sink, sent } = orderBook({ onDelete: 'ignore' });
    const run = await runOnce(ledger, versionedSource(data), sink);
    expect(run.counts).toMatchObject({ delivered: 1, skipped: 1 });
    data[1] = { ...data[1]!, deleted: true, version: 2 };
    await runOnce(ledger, versionedSource(data), sink);
    expect(sent.map((r) => r.operation)).toEqual(['create']);
  });

  it('updates, after a lookup, a record an unsettled earlier write left at the destination in another version', async () => {
    const ledger = createMemoryLedger();
    const { sink, sent, orders } = orderBook({ lookup: true });
    orders.set('ORD-c1', { orderId: 'ORD-c1', name: 'old' });
    // A new ledger looks records up first; this one is there, different.
    await runOnce(ledger, versionedSource(customers(1)), sink);
    expect(sent.map((r) => r.operation)).toEqual(['update']);
    expect(orders.get('ORD-c1')).toMatchObject({ name: 'name 1' });
  });

  it('replays a failed update, but never a letter older than what was delivered since', async () => {
    const ledger = createMemoryLedger();
    const data = customers(2);
    let refuse = false;
    const { sink, orders } = orderBook({
      outcome: (r) =>
        refuse && r.operation === 'update'
          ? {
              state: 'failed',
              attempts: 1,
              refused: true,
              reasons: [{ code: 'destination_422', message: '422' }],
            }
          : undefined,
    });
    await runOnce(ledger, versionedSource(data), sink);
    data[0] = { ...data[0]!, name: 'c1 v2', version: 3 };
    data[1] = { ...data[1]!, name: 'c2 v2', version: 4 };
    refuse = true;
    await runOnce(ledger, versionedSource(data), sink);
    expect(await ledger.countDeadLetters()).toBe(2);
    // c1 changes again and its newer version is delivered; c2 does not.
    refuse = false;
    data[0] = { ...data[0]!, name: 'c1 v3', version: 5 };
    await runOnce(ledger, versionedSource(data), sink);
    const letters = await ledger.listDeadLetters();
    await replayDeadLetters({
      integration: 'sync',
      ledger,
      sink,
      mapper,
      pages: [letters],
      concurrency: 2,
    });
    expect(orders.get('ORD-c1')).toMatchObject({ name: 'c1 v3' });
    expect(orders.get('ORD-c2')).toMatchObject({ name: 'c2 v2' });
    expect(await ledger.countDeadLetters()).toBe(0);
  });

  it('sends the versions of one key one at a time, in the order read, the last one winning', async () => {
    const ledger = createMemoryLedger();
    // The same customer twice in one read (it changed while the read went on), on one page and across pages.
    const data: Customer[] = [
      { id: 'a', name: 'a1', version: 1 },
      { id: 'a', name: 'a2', version: 2 },
      { id: 'b', name: 'b1', version: 3 },
      { id: 'c', name: 'c1', version: 4 },
      { id: 'b', name: 'b2', version: 5 },
    ];
    const active = new Set<string>();
    let overlap = false;
    const { sink, sent, orders } = orderBook({
      delay: async (r) => {
        if (active.has(r.key)) overlap = true;
        active.add(r.key);
        await new Promise((resolve) => setImmediate(resolve));
        active.delete(r.key);
      },
    });
    const run = await runOnce(ledger, versionedSource(data, { size: 3 }), sink, { concurrency: 8 });
    expect(overlap).toBe(false);
    expect(run.counts).toMatchObject({ read: 5, delivered: 5 });
    const byKey = (key: string) =>
      sent.filter((r) => r.key === key).map((r) => `${r.operation}:${(r.value as { name: string }).name}`);
    expect(byKey('a')).toEqual(['create:a1', 'update:a2']);
    expect(byKey('b')).toEqual(['create:b1', 'update:b2']);
    expect(orders.get('ORD-a')).toMatchObject({ name: 'a2' });
    expect(orders.get('ORD-b')).toMatchObject({ name: 'b2' });
  });
});
