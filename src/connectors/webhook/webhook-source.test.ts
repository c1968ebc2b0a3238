import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMemoryLedger } from '../../../test/support/memory-ledger.ts';
import type { SourcePage } from '../../core/connector-types.ts';
import type { Ledger } from '../../core/ledger-types.ts';
import { createEventNotifier, ledgerInbox } from '../../runtime/ledger-inbox.ts';
import { createWebhookSource } from './webhook-source.ts';

afterEach(() => {
  vi.useRealTimers();
});

async function store(ledger: Ledger, ...events: [id: string, key: string | null][]) {
  for (const [eventId, key] of events) {
    await ledger.inboxAdd(
      {
        integration: 'hooks',
        eventId,
        key,
        version: null,
        payload: { type: 'customer.created', data: { customer_id: key ?? eventId } },
        receivedAt: '2025-01-01T00:00:00.000Z',
      },
      { maxPending: 100 },
    );
  }
}

async function readAll(pages: AsyncIterable<SourcePage>): Promise<SourcePage[]> {
  const out: SourcePage[] = [];
  for await (const page of pages) out.push(page);
  return out;
}

const options = { recordPath: 'data', batchSize: 2, endAfterIdleMs: 1000, maxRunMs: 60_000 };

describe('the webhook source', () => {
  it('reads what waits in pages, each resuming after its last event, and ends once drained under ferry run', async () => {
    const ledger = createMemoryLedger();
    await store(ledger, ['e1', 'a'], ['e2', 'b'], ['e3', 'c']);
    const source = createWebhookSource({ ...options, inbox: ledgerInbox(ledger, 'hooks') });
    const pages = await readAll(source.readPages({ from: null, signal: new AbortController().signal }));
    expect(pages.map((p) => p.records)).toEqual([
      [{ customer_id: 'a' }, { customer_id: 'b' }],
      [{ customer_id: 'c' }],
    ]);
    expect(pages.map((p) => p.positions)).toEqual([['event e1', 'event e2'], ['event e3']]);
    expect(pages.map((p) => p.next)).toEqual([
      { inbox: true, after: 2 },
      { inbox: true, after: 3 },
    ]);
  });

  it('acknowledges events once their checkpoint is saved, and those a resumed checkpoint covers', async () => {
    const ledger = createMemoryLedger();
    await store(ledger, ['e1', 'a'], ['e2', 'b'], ['e3', 'c']);
    const source = createWebhookSource({ ...options, inbox: ledgerInbox(ledger, 'hooks') });
    await source.checkpointSaved!({ inbox: true, after: 1 });
    expect((await ledger.inboxStats('hooks')).pending).toBe(2);
    const resumed = await readAll(
      source.readPages({ from: { inbox: true, after: 2 }, signal: new AbortController().signal }),
    );
    expect(resumed.map((p) => p.positions)).toEqual([['event e3']]);
    expect((await ledger.inboxStats('hooks')).pending).toBe(1);
  });

  it('holds a second event of one key until the page with the first one is settled', async () => {
    const ledger = createMemoryLedger();
    await store(ledger, ['e1', 'a'], ['e2', 'b'], ['e3', 'a'], ['e4', 'c']);
    const source = createWebhookSource({ ...options, batchSize: 10, inbox: ledgerInbox(ledger, 'hooks') });
    const pages = source
      .readPages({ from: null, signal: new AbortController().signal })
      [Symbol.asyncIterator]();
    const first = await pages.next();
    expect(first.value.positions).toEqual(['event e1', 'event e2']);
    let second: SourcePage | undefined;
    const reading = pages.next().then((r) => {
      second = r.value;
    });
    // The memory ledger answers at once: a few turns of the event loop would have let a free read through.
    for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(second).toBeUndefined();
    await source.checkpointSaved!(first.value.next);
    await reading;
    expect(second?.positions).toEqual(['event e3', 'event e4']);
    expect((await pages.next()).done).toBe(true);
  });

  it('quarantines an event without its record, keeping the event for the dead letter', async () => {
    const ledger = createMemoryLedger();
    await ledger.inboxAdd(
      {
        integration: 'hooks',
        eventId: 'odd',
        key: null,
        version: null,
        payload: { type: 'ping' },
        receivedAt: '2025-01-01T00:00:00.000Z',
      },
      { maxPending: 10 },
    );
    const source = createWebhookSource({ ...options, inbox: ledgerInbox(ledger, 'hooks') });
    const [page] = await readAll(source.readPages({ from: null, signal: new AbortController().signal }));
    expect(page?.records).toEqual([{ type: 'ping' }]);
    expect(page?.rejects?.get(0)?.[0]).toMatchObject({ code: 'record_missing', field: 'data' });
  });

  it('under ferry serve waits for events while they keep coming, and ends after the idle time', async () => {
    vi.useFakeTimers({ now: 0 });
    const ledger = createMemoryLedger();
    const notifier = createEventNotifier();
    const source = createWebhookSource({ ...options, inbox: ledgerInbox(ledger, 'hooks', notifier) });
    const pages = source
      .readPages({ from: null, signal: new AbortController().signal })
      [Symbol.asyncIterator]();
    const first = pages.next();
    await vi.advanceTimersByTimeAsync(600);
    await store(ledger, ['e1', 'a']);
    notifier.notify();
    expect((await first).value.positions).toEqual(['event e1']);
    const second = pages.next();
    await vi.advanceTimersByTimeAsync(999);
    await store(ledger, ['e2', 'b']);
    notifier.notify();
    expect((await second).value.positions).toEqual(['event e2']);
    let ended = false;
    const third = pages.next().then((r) => {
      ended = r.done === true;
    });
    await vi.advanceTimersByTimeAsync(999);
    expect(ended).toBe(false);
    await vi.advanceTimersByTimeAsync(2);
    await third;
    expect(ended).toBe(true);
  });

  it('stops waiting at once when the run is stopped', async () => {
    const ledger = createMemoryLedger();
    const source = createWebhookSource({
      ...options,
      endAfterIdleMs: 3_600_000,
      inbox: ledgerInbox(ledger, 'hooks', createEventNotifier()),
    });
    const stop = new AbortController();
    const reading = readAll(source.readPages({ from: null, signal: stop.signal }));
    stop.abort();
    expect(await reading).toEqual([]);
  });

  it('reads nothing without an inbox (a dry run or a check), saying where events come from', async () => {
    const source = createWebhookSource({ ...options, inbox: undefined });
    const pages = await readAll(source.readPages({ from: null, signal: new AbortController().signal }));
    expect(pages).toEqual([
      { records: [], next: null, label: 'the inbox (events arrive through ferry serve)' },
    ]);
  });
});
