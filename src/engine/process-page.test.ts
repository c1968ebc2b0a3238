import { describe, expect, it } from 'vitest';
import { createMemoryLedger } from '../../test/support/memory-ledger.ts';
import type { DeliveryOutcome, OutgoingRecord, SinkConnector } from '../core/connector-types.ts';
import { FerryError } from '../core/errors.ts';
import type { QueuedRecord } from '../core/page-types.ts';
import type { RecordMapper } from './engine-types.ts';
import { processPage } from './process-page.ts';
import { createSlots } from './slots.ts';

const mapper: RecordMapper = {
  keyOf: async (r) => ({ ok: true, key: (r as { id: string }).id }),
  apply: async (r, { firstMappedAt }) => {
    const id = (r as { id: string }).id;
    return { ok: true, key: id, body: { orderId: `ORD-${id}`, at: firstMappedAt } };
  },
};

function sink(
  answer: (record: OutgoingRecord) => DeliveryOutcome | Promise<DeliveryOutcome> = () => ({
    state: 'delivered',
    attempts: 1,
  }),
) {
  const sent: string[] = [];
  const connector: SinkConnector = {
    async send(record) {
      sent.push(record.key);
      return answer(record);
    },
    lookup: async () => ({ found: false }),
    close: async () => {},
  };
  return { connector, sent };
}

const page = (...keys: string[]): QueuedRecord[] =>
  keys.map((key) => ({ record: { id: key }, key, hasKey: true }));

async function context(ledger = createMemoryLedger(), connector: SinkConnector, abortSignal?: AbortSignal) {
  const run = await ledger.startRun('t', new Date().toISOString());
  return {
    ledger,
    runId: run.id,
    ctx: {
      integration: 't',
      runId: run.id,
      ledger,
      sink: connector,
      mapper,
      clock: () => new Date(),
      onLedgerError: () => {},
      ...(abortSignal ? { abortSignal } : {}),
    },
  };
}

describe('processPage', () => {
  it("settles every record of a page, one outcome per record in the page's order", async () => {
    const { connector, sent } = sink();
    const { ctx, ledger } = await context(undefined, connector);
    const records = [...page('a', 'b'), { ...page('c')[0]!, duplicate: true }, ...page('a')];
    const outcome = await processPage(records, { ctx, slots: createSlots(4), comparesRepeats: false });
    expect(outcome.complete).toBe(true);
    expect(outcome.outcomes.map((o) => [o?.key, o?.state])).toEqual([
      ['a', 'delivered'],
      ['b', 'delivered'],
      ['c', 'skipped'],
      ['a', 'skipped'],
    ]);
    expect(sent.sort()).toEqual(['a', 'b']);
    await ledger.flush();
    expect((await ledger.getRecords('t', ['a', 'b'])).get('b')?.state).toBe('delivered');
  });

  it('counts what a worker that lost the page delivered in this run as delivered, and reconciles its in-flight records', async () => {
    const { connector, sent } = sink();
    const { ctx, ledger, runId } = await context(undefined, connector);
    // The worker that had the page delivered a, and marked b in flight before it lost the page.
    await ledger.updateNow('t', runId, [{ key: 'a', state: 'in_flight', attempts: 1 }]);
    await ledger.update('t', runId, [{ key: 'a', state: 'delivered', deliveredHash: 'x' }]);
    await ledger.updateNow('t', runId, [{ key: 'b', state: 'in_flight', attempts: 1 }]);
    const outcome = await processPage(page('a', 'b'), {
      ctx,
      slots: createSlots(4),
      comparesRepeats: false,
      takeover: true,
    });
    expect(outcome.outcomes.map((o) => o?.state)).toEqual(['delivered', 'delivered']);
    expect(outcome.outcomes[0]?.note).toBe('delivered before the page was taken over');
    // b was looked up (not found) and sent; a was not sent again.
    expect(sent).toEqual(['b']);
  });

  it('stops sending when its lease is lost: the page is not complete and says why', async () => {
    const lease = new AbortController();
    let sends = 0;
    const { connector } = sink(async (record) => {
      sends++;
      if (sends === 2) {
        lease.abort(new FerryError('FERRY_ERR_LEASE_LOST', 'lost'));
      }
      if (record.signal?.aborted) throw new FerryError('FERRY_ERR_ABORTED', 'aborted');
      return { state: 'delivered', attempts: 1 };
    });
    const { ctx } = await context(undefined, connector, lease.signal);
    const outcome = await processPage(page('a', 'b', 'c', 'd', 'e'), {
      ctx,
      slots: createSlots(1),
      comparesRepeats: false,
    });
    expect(outcome.complete).toBe(false);
    expect(sends).toBe(2);
    expect(outcome.error?.code).toBe('FERRY_ERR_ABORTED');
    expect(outcome.outcomes.filter((o) => o === undefined)).toHaveLength(4);
  });
});
