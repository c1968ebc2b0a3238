import { describe, expect, it } from 'vitest';
import { createMemoryLedger } from '../../test/support/memory-ledger.ts';
import type {
  Checkpoint,
  DeliveryOutcome,
  OutgoingRecord,
  SinkConnector,
  SourceConnector,
  SourcePage,
} from '../core/connector-types.ts';
import { FerryError } from '../core/errors.ts';
import type { RecordMapper } from './engine-types.ts';
import { runIntegration } from './run-integration.ts';

interface Rec {
  id?: string;
  bad?: boolean;
}

function pagesOf(records: Rec[], size: number): SourcePage[] {
  const pages: SourcePage[] = [];
  for (let i = 0; i < records.length; i += size) {
    const n = pages.length + 1;
    pages.push({
      label: `page ${n}`,
      records: records.slice(i, i + size),
      next: i + size < records.length ? { page: n + 1 } : null,
    });
  }
  return pages;
}

function sourceOf(pages: SourcePage[]): SourceConnector & { pulled: number } {
  const source = {
    pulled: 0,
    async *readPages({ from }: { from: Checkpoint | null }) {
      const start = typeof from?.page === 'number' ? from.page - 1 : 0;
      for (const page of pages.slice(start)) {
        source.pulled++;
        yield page;
      }
    },
    close: async () => {},
  };
  return source;
}

const mapper: RecordMapper = {
  keyOf: async (r) => ((r as Rec).id ? { ok: true, key: (r as Rec).id! } : { ok: false }),
  async apply(r, { firstMappedAt }) {
    const rec = r as Rec;
    if (!rec.id)
      return {
        ok: false,
        key: null,
        stage: 'input',
        reasons: [{ field: 'id', code: 'required', message: 'id is required' }],
      };
    if (rec.bad)
      return {
        ok: false,
        key: rec.id,
        stage: 'input',
        reasons: [{ field: 'bad', code: 'bad', message: 'bad record' }],
      };
    return { ok: true, key: rec.id, body: { orderId: `ORD-${rec.id}`, at: firstMappedAt } };
  },
};

function sinkRecording(
  behaviour: (r: OutgoingRecord) => Promise<DeliveryOutcome> | DeliveryOutcome = () => ({
    state: 'delivered',
    attempts: 1,
  }),
) {
  const sent: OutgoingRecord[] = [];
  const sink: SinkConnector = {
    async send(record) {
      sent.push(record);
      return behaviour(record);
    },
    close: async () => {},
  };
  return { sink, sent };
}

const ids = (n: number, prefix = 'c') => Array.from({ length: n }, (_, i) => ({ id: `${prefix}${i + 1}` }));

describe('runIntegration', () => {
  it('delivers every record once and clears the checkpoint after a complete read', async () => {
    const ledger = createMemoryLedger();
    const { sink, sent } = sinkRecording();
    const result = await runIntegration({
      integration: 't',
      source: sourceOf(pagesOf(ids(10), 3)),
      sink,
      mapper,
      ledger,
      concurrency: 4,
    });
    expect(result.status).toBe('completed');
    expect(result.counts).toEqual({
      read: 10,
      delivered: 10,
      skipped: 0,
      quarantined: 0,
      failed: 0,
      stillQuarantined: 0,
      stillFailed: 0,
    });
    expect(new Set(sent.map((s) => s.key)).size).toBe(10);
    expect(await ledger.getCheckpoint('t')).toBeNull();
    expect(ledger.checkpoints.map((c) => c.page)).toEqual([2, 3, 4]);
  });

  it('marks a chunk of records in_flight in one ledger write, each before its send', async () => {
    const ledger = createMemoryLedger();
    const markWrites: string[][] = [];
    const markNow = ledger.updateNow;
    ledger.updateNow = (integration, runId, updates) => {
      markWrites.push(updates.map((u) => `${u.key}:${u.state}`));
      return markNow(integration, runId, updates);
    };
    const stateAtSend: string[] = [];
    const { sink } = sinkRecording((r) => {
      stateAtSend.push(ledger.records.get(r.key)?.state ?? 'unknown');
      return { state: 'delivered', attempts: 1 };
    });
    const result = await runIntegration({
      integration: 't',
      source: sourceOf(pagesOf([...ids(70), { id: 'c71', bad: true }], 100)),
      sink,
      mapper,
      ledger,
      concurrency: 4,
    });
    expect(result.counts).toMatchObject({ read: 71, delivered: 70, quarantined: 1 });
    // 70 sendable records in chunks of 32: three transactions instead of 70, and no mark for the bad one.
    expect(markWrites.map((w) => w.length)).toEqual([32, 32, 6]);
    expect(markWrites.flat().every((m) => m.endsWith(':in_flight'))).toBe(true);
    expect(stateAtSend).toHaveLength(70);
    expect(new Set(stateAtSend)).toEqual(new Set(['in_flight']));
  });

  it('never advances the checkpoint past a page that still has a record in flight', async () => {
    const ledger = createMemoryLedger();
    let release!: () => void;
    const held = new Promise<void>((r) => {
      release = r;
    });
    let settledOthers = 0;
    const { sink } = sinkRecording(async (r) => {
      if (r.key === 'c5') await held;
      else settledOthers++;
      return { state: 'delivered', attempts: 1 };
    });
    const running = runIntegration({
      integration: 't',
      source: sourceOf(pagesOf(ids(12), 3)),
      sink,
      mapper,
      ledger,
      concurrency: 8,
    });
    while (settledOthers < 11) await new Promise((r) => setTimeout(r, 1));
    await new Promise((r) => setTimeout(r, 5));
    // c5 is on page 2: only "resume at page 2" may have been saved.
    expect(ledger.checkpoints.map((c) => c.page)).toEqual([2]);
    release();
    await running;
    expect(ledger.checkpoints.map((c) => c.page)).toEqual([2, 3, 4]);
  });

  it('sends an exact duplicate once and counts the twin as skipped', async () => {
    const ledger = createMemoryLedger();
    const { sink, sent } = sinkRecording();
    const records = [{ id: 'a' }, { id: 'a' }, { id: 'b' }];
    const result = await runIntegration({
      integration: 't',
      source: sourceOf(pagesOf(records, 10)),
      sink,
      mapper,
      ledger,
      concurrency: 4,
    });
    expect(sent.map((s) => s.key)).toEqual(['a', 'b']);
    expect(result.counts).toMatchObject({ read: 3, delivered: 2, skipped: 1 });
  });

  it('skips on a rerun what an earlier run delivered, with the same idempotency keys', async () => {
    const ledger = createMemoryLedger();
    const first = sinkRecording();
    await runIntegration({
      integration: 't',
      source: sourceOf(pagesOf(ids(5), 2)),
      sink: first.sink,
      mapper,
      ledger,
      concurrency: 2,
    });
    const second = sinkRecording();
    const result = await runIntegration({
      integration: 't',
      source: sourceOf(pagesOf(ids(6), 2)),
      sink: second.sink,
      mapper,
      ledger,
      concurrency: 2,
    });
    expect(second.sent.map((s) => s.key)).toEqual(['c6']);
    expect(result.counts).toMatchObject({ read: 6, delivered: 1, skipped: 5 });
  });

  it('quarantines invalid records with reasons and keeps one dead letter per record across reruns', async () => {
    const ledger = createMemoryLedger();
    const records = [{ id: 'a' }, { id: 'b', bad: true }, {}];
    const run = () =>
      runIntegration({
        integration: 't',
        source: sourceOf(pagesOf(records, 10)),
        sink: sinkRecording().sink,
        mapper,
        ledger,
        concurrency: 2,
      });
    const first = await run();
    expect(first.status).toBe('completed_with_errors');
    expect(first.counts).toMatchObject({ delivered: 1, quarantined: 2 });
    await run();
    const letters = await ledger.listDeadLetters();
    expect(letters).toHaveLength(2);
    expect(letters.map((l) => l.reasons[0]?.field).sort()).toEqual(['bad', 'id']);
  });

  it('stops early with FERRY_ERR_QUARANTINE_RATIO when most records are quarantined past the sample', async () => {
    const ledger = createMemoryLedger();
    // The source changed shape: after 20 good records, every record fails its input checks.
    const records = [...ids(20), ...ids(980, 'x').map((r) => ({ ...r, bad: true }))];
    const source = sourceOf(pagesOf(records, 50));
    const result = await runIntegration({
      integration: 't',
      source,
      sink: sinkRecording().sink,
      mapper,
      ledger,
      concurrency: 4,
      quarantineLimit: { maxRatio: 0.5, minSample: 100 },
    });
    expect(result.status).toBe('aborted');
    expect(result.error?.code).toBe('FERRY_ERR_QUARANTINE_RATIO');
    expect(result.error?.message).toMatch(
      /stopped early: \d+ of the \d+ records settled so far were quarantined/,
    );
    expect(result.error?.message).toContain('Most common: bad: bad (');
    // It stopped within the page where the limit was passed, not at the end of the source.
    expect(result.counts.read).toBeLessThanOrEqual(150);
    expect(source.pulled).toBeLessThanOrEqual(4);
    // Every record read still ends in one state.
    const { delivered, skipped, quarantined, failed } = result.counts;
    expect(delivered + skipped + quarantined + failed).toBe(result.counts.read);
  });

  it('judges the quarantine ratio only after the minimum sample, and never at a ratio of 1', async () => {
    const records = [...ids(60, 'x').map((r) => ({ ...r, bad: true })), ...ids(200)];
    const run = (maxRatio: number) =>
      runIntegration({
        integration: 't',
        source: sourceOf(pagesOf(records, 50)),
        sink: sinkRecording().sink,
        mapper,
        ledger: createMemoryLedger(),
        concurrency: 4,
        quarantineLimit: { maxRatio, minSample: 100 },
      });
    // 60 of the first 60 are quarantined, but by the 100th record the share is 60%: over 0.5, under 0.7.
    expect((await run(0.7)).status).toBe('completed_with_errors');
    expect((await run(0.5)).status).toBe('aborted');
    expect((await run(1)).status).toBe('completed_with_errors');
  });

  it('keeps the orderDate of the first mapping when a failed record is sent again', async () => {
    const ledger = createMemoryLedger();
    let fail = true;
    const bodies: string[] = [];
    const { sink } = sinkRecording((r) => {
      bodies.push(JSON.stringify(r.value));
      return fail
        ? { state: 'failed', attempts: 3, reasons: [{ code: 'destination_500', message: 'down' }] }
        : { state: 'delivered', attempts: 1 };
    });
    let now = Date.parse('2026-01-01T00:00:00.400Z');
    const clock = () => new Date(now);
    const first = await runIntegration({
      integration: 't',
      source: sourceOf(pagesOf(ids(1), 1)),
      sink,
      mapper,
      ledger,
      concurrency: 1,
      clock,
    });
    expect(first.counts.failed).toBe(1);
    fail = false;
    now += 3_600_000;
    await runIntegration({
      integration: 't',
      source: sourceOf(pagesOf(ids(1), 1)),
      sink,
      mapper,
      ledger,
      concurrency: 1,
      clock,
    });
    expect(bodies[1]).toBe(bodies[0]);
    expect(JSON.parse(bodies[0]!).at).toBe('2026-01-01T00:00:00Z');
  });

  it('reconciles a record a crashed run left in flight by looking it up instead of resending', async () => {
    const ledger = createMemoryLedger();
    await ledger.update('t', 'old', [
      { key: 'c1', state: 'in_flight', firstMappedAt: '2026-01-01T00:00:00Z', attempts: 1 },
    ]);
    // An earlier run read the source to its end, so records this ledger does not know are new.
    await ledger.saveCheckpoint('t', null, 'old');
    // A run of a process that was killed: its ledger went away without finishing it.
    const killed = ledger.reopen();
    await killed.startRun('t', '2026-01-01T00:00:00Z');
    await killed.close();
    const { sink, sent } = sinkRecording();
    const sinkWithLookup: SinkConnector = {
      ...sink,
      lookup: async () => ({ found: true, matches: true, body: {} }),
    };
    const result = await runIntegration({
      integration: 't',
      source: sourceOf(pagesOf(ids(2), 2)),
      sink: sinkWithLookup,
      mapper,
      ledger,
      concurrency: 2,
    });
    expect(sent.map((s) => s.key)).toEqual(['c2']);
    expect(result.counts).toMatchObject({ delivered: 2 });
    expect(result.recoveredRuns).toHaveLength(1);
  });

  it('looks records up before their first send until a run has read the source to its end, and sends only what is missing', async () => {
    const ledger = createMemoryLedger();
    const { sink, sent } = sinkRecording();
    const looked: string[] = [];
    const sinkWithLookup: SinkConnector = {
      ...sink,
      lookup: async (r) => {
        looked.push(r.key);
        return r.key === 'c1' ? { found: true, matches: true, body: {} } : { found: false };
      },
    };
    const run = () =>
      runIntegration({
        integration: 't',
        source: sourceOf(pagesOf(ids(3), 3)),
        sink: sinkWithLookup,
        mapper,
        ledger,
        concurrency: 1,
      });
    const first = await run();
    expect(looked.sort()).toEqual(['c1', 'c2', 'c3']);
    expect(sent.map((s) => s.key).sort()).toEqual(['c2', 'c3']);
    expect(first.counts).toMatchObject({ delivered: 3, failed: 0 });
    looked.length = 0;
    await run();
    expect(looked).toEqual([]);
  });

  it('fails a record whose lookup fails, without sending it, and looks it up again on the next run', async () => {
    const ledger = createMemoryLedger();
    const { sink, sent } = sinkRecording();
    let lookupWorks = false;
    const sinkWithLookup: SinkConnector = {
      ...sink,
      lookup: async () => {
        if (!lookupWorks) throw new FerryError('FERRY_ERR_RETRIES_EXHAUSTED', 'GET gave up after 8 attempts');
        return { found: true, matches: true, body: {} };
      },
    };
    const run = () =>
      runIntegration({
        integration: 't',
        source: sourceOf(pagesOf(ids(2), 2)),
        sink: sinkWithLookup,
        mapper,
        ledger,
        concurrency: 1,
      });
    const first = await run();
    expect(first.status).toBe('completed_with_errors');
    expect(first.counts).toMatchObject({ failed: 2, delivered: 0 });
    expect(sent).toEqual([]);
    expect((await ledger.listDeadLetters())[0]?.reasons[0]).toMatchObject({
      code: 'destination_lookup_failed',
    });
    lookupWorks = true;
    const second = await run();
    expect(second.counts).toMatchObject({ delivered: 2, failed: 0 });
    expect(sent).toEqual([]);
  });

  it('counts a record failing again with the same body as still failing, without a second dead letter', async () => {
    const ledger = createMemoryLedger();
    const { sink } = sinkRecording(() => ({
      state: 'failed',
      attempts: 1,
      reasons: [{ code: 'destination_400', message: '400 from the destination' }],
      refused: true,
    }));
    const run = () =>
      runIntegration({
        integration: 't',
        source: sourceOf(pagesOf(ids(2), 2)),
        sink,
        mapper,
        ledger,
        concurrency: 1,
        clock: () => new Date('2026-01-01T00:00:00Z'),
      });
    const first = await run();
    expect(first.counts).toMatchObject({ failed: 2, stillFailed: 0 });
    const second = await run();
    expect(second.counts).toMatchObject({ failed: 2, stillFailed: 2 });
    expect(await ledger.listDeadLetters()).toHaveLength(2);
  });

  it('sends a body changed after a refusal under a new key generation, and an unchanged one under the same key', async () => {
    const ledger = createMemoryLedger();
    const keys: string[] = [];
    let refuse = true;
    const { sink } = sinkRecording((r) => {
      keys.push(r.idempotencyKey);
      return refuse
        ? {
            state: 'failed',
            attempts: 1,
            reasons: [{ code: 'destination_400', message: '400 from the destination' }],
            refused: true,
          }
        : { state: 'delivered', attempts: 1 };
    });
    const run = (at: string) =>
      runIntegration({
        integration: 't',
        source: sourceOf(pagesOf(ids(1), 1)),
        sink,
        mapper: {
          ...mapper,
          apply: async (r, b) => {
            const mapped = await mapper.apply(r, b);
            return mapped.ok ? { ...mapped, body: { ...mapped.body, version: at } } : mapped;
          },
        },
        ledger,
        concurrency: 1,
      });
    await run('v1');
    await run('v1');
    expect(keys[1]).toBe(keys[0]);
    refuse = false;
    const fixed = await run('v2');
    expect(fixed.counts.delivered).toBe(1);
    expect(keys[2]).not.toBe(keys[0]);
    expect(ledger.records.get('c1')).toMatchObject({ state: 'delivered', keyGeneration: 1 });
  });

  it('aborts on refused credentials, keeping the record in flight and the checkpoint before its page', async () => {
    const ledger = createMemoryLedger();
    const { sink } = sinkRecording((r) => {
      if (r.key === 'c4') throw new FerryError('FERRY_ERR_HTTP_UNAUTHORIZED', '401 twice');
      return { state: 'delivered', attempts: 1 };
    });
    const source = sourceOf(pagesOf(ids(9), 3));
    const result = await runIntegration({ integration: 't', source, sink, mapper, ledger, concurrency: 1 });
    expect(result.status).toBe('aborted');
    expect(result.error?.code).toBe('FERRY_ERR_HTTP_UNAUTHORIZED');
    expect(ledger.records.get('c4')?.state).toBe('in_flight');
    expect((await ledger.getCheckpoint('t'))?.page).toBe(2);
    expect(source.pulled).toBeLessThan(4);
  });

  it('stops after --limit records and leaves the checkpoint before the unfinished page', async () => {
    const ledger = createMemoryLedger();
    const { sink, sent } = sinkRecording();
    const result = await runIntegration({
      integration: 't',
      source: sourceOf(pagesOf(ids(10), 4)),
      sink,
      mapper,
      ledger,
      concurrency: 2,
      limit: 6,
    });
    expect(sent).toHaveLength(6);
    expect(result.counts.read).toBe(6);
    expect((await ledger.getCheckpoint('t'))?.page).toBe(2);
  });

  it('stops reading on the stop signal and reports the run as interrupted', async () => {
    const ledger = createMemoryLedger();
    const stop = new AbortController();
    const { sink, sent } = sinkRecording((r) => {
      if (r.key === 'c3') stop.abort();
      return { state: 'delivered', attempts: 1 };
    });
    const result = await runIntegration({
      integration: 't',
      source: sourceOf(pagesOf(ids(30), 5)),
      sink,
      mapper,
      ledger,
      concurrency: 1,
      stopSignal: stop.signal,
    });
    expect(result.status).toBe('interrupted');
    expect(sent.length).toBeLessThan(30);
    expect(result.counts.delivered).toBe(sent.length);
  });
});

describe('runIntegration: what a source and a sink may say besides records', () => {
  it('quarantines the records a source rejects with its reasons, and puts every reason behind its position', async () => {
    const ledger = createMemoryLedger();
    const { sink, sent } = sinkRecording();
    const page: SourcePage = {
      records: [{ id: 'c1' }, { id: 'c2', short: true }, { id: 'c3', bad: true }],
      positions: ['customers.csv:2', 'customers.csv:3', 'customers.csv:4'],
      rejects: new Map([[1, [{ code: 'columns', message: 'expected 9 cells, found 8' }]]]),
      next: null,
    };
    const result = await runIntegration({
      integration: 't',
      source: sourceOf([page]),
      sink,
      mapper,
      ledger,
      concurrency: 2,
    });
    expect(result.counts).toMatchObject({ read: 3, delivered: 1, quarantined: 2 });
    expect(sent.map((r) => [r.key, r.position])).toEqual([['c1', 'customers.csv:2']]);
    const letters = await ledger.listDeadLetters();
    const reasonsOf = (key: string) => letters.find((l) => l.key === key)?.reasons;
    expect(reasonsOf('c2')).toEqual([
      { code: 'columns', message: 'expected 9 cells, found 8', at: 'customers.csv:3' },
    ]);
    expect(reasonsOf('c3')).toEqual([
      { field: 'bad', code: 'bad', message: 'bad record', at: 'customers.csv:4' },
    ]);
  });

  it('quarantines what the sink refuses for its shape before any send, never marking it in flight', async () => {
    const ledger = createMemoryLedger();
    const { sink, sent } = sinkRecording();
    const validated: string[] = [];
    sink.validate = (value, operation) => {
      const orderId = (value as { orderId: string }).orderId;
      validated.push(`${orderId} ${operation}`);
      return orderId === 'ORD-c2'
        ? [
            { field: 'Order/Customer/Email', code: 'wsdl_required', message: 'is required' },
            { field: 'Order/OrderNumber', code: 'wsdl_pattern', message: 'must match ORD-[0-9]+' },
          ]
        : [];
    };
    const marked: string[] = [];
    const markNow = ledger.updateNow;
    ledger.updateNow = (integration, runId, updates) => {
      marked.push(...updates.map((u) => u.key));
      return markNow.call(ledger, integration, runId, updates);
    };
    const page: SourcePage = {
      records: [{ id: 'c1' }, { id: 'c2' }],
      positions: ['page 1 #1', 'page 1 #2'],
      next: null,
    };
    const run = () =>
      runIntegration({ integration: 't', source: sourceOf([page]), sink, mapper, ledger, concurrency: 2 });
    const result = await run();
    expect(result.counts).toMatchObject({ read: 2, delivered: 1, quarantined: 1, failed: 0 });
    expect(sent.map((r) => r.key)).toEqual(['c1']);
    expect(marked).toEqual(['c1']);
    expect(validated).toEqual(['ORD-c1 create', 'ORD-c2 create']);
    const letters = await ledger.listDeadLetters();
    expect(letters.map((l) => [l.key, l.state])).toEqual([['c2', 'quarantined']]);
    expect(letters[0]?.reasons[0]).toEqual({
      field: 'Order/Customer/Email',
      code: 'wsdl_required',
      message: 'is required',
      at: 'page 1 #2',
    });
    // A rerun finds the same problem: still quarantined, no second dead letter.
    const again = await run();
    expect(again.counts).toMatchObject({ quarantined: 1, stillQuarantined: 1 });
    expect(await ledger.listDeadLetters()).toHaveLength(1);
  });

  it('hands a batch-writing sink each chunk at once, every record marked in flight before its batch goes', async () => {
    const ledger = createMemoryLedger();
    const batches: string[][] = [];
    const sink: SinkConnector = {
      send: async () => {
        throw new Error('a batch sink is given batches');
      },
      async sendBatch(records) {
        const stored = await ledger.getRecords(
          't',
          records.map((r) => r.key),
        );
        expect([...stored.values()].every((row) => row.state === 'in_flight')).toBe(true);
        batches.push(records.map((r) => r.key));
        return records.map((r) =>
          r.key === 'c5'
            ? {
                state: 'failed',
                attempts: 1,
                reasons: [{ code: 'disk_full', message: 'no space left' }],
              }
            : { state: 'delivered', attempts: 1 },
        );
      },
      close: async () => {},
    };
    const result = await runIntegration({
      integration: 't',
      source: sourceOf(pagesOf(ids(70), 70)),
      sink,
      mapper,
      ledger,
      concurrency: 1,
    });
    expect(result.counts).toMatchObject({ read: 70, delivered: 69, failed: 1 });
    // Chunks of 32 (the smallest chunk) at concurrency 1: 32, 32 and the 6 left.
    expect(batches.map((b) => b.length)).toEqual([32, 32, 6]);
    expect(batches.flat()).toEqual(ids(70).map((r) => r.id));
    expect((await ledger.listDeadLetters())[0]?.reasons).toEqual([
      { code: 'disk_full', message: 'no space left' },
    ]);
    expect(result.checkpoint).toBeNull();
  });

  it('looks up what a batch-writing sink may hold before writing it: records left in flight, and all on a new ledger', async () => {
    const ledger = createMemoryLedger();
    const stored = new Set<string>();
    const written: string[] = [];
    let failWrites = true;
    const sink: SinkConnector = {
      send: async (record) => {
        written.push(record.key);
        stored.add(record.key);
        return { state: 'delivered', attempts: 1 };
      },
      async sendBatch(records) {
        // The first run's write lands and then the run dies before settling (as a kill after the fsync).
        for (const record of records) {
          written.push(record.key);
          stored.add(record.key);
        }
        if (failWrites) throw new FerryError('FERRY_ERR_DESTINATION_WRITE', 'killed after the write');
        return records.map(() => ({ state: 'delivered' as const, attempts: 1 }));
      },
      lookup: async (record) =>
        stored.has(record.key) ? { found: true, matches: true, body: {} } : { found: false },
      lookupBeforeSend: 'never',
      close: async () => {},
    };
    const run = () =>
      runIntegration({
        integration: 't',
        source: sourceOf(pagesOf(ids(5), 5)),
        sink,
        mapper,
        ledger,
        concurrency: 1,
      });
    expect((await run()).status).toBe('aborted');
    expect(written).toEqual(ids(5).map((r) => r.id));
    failWrites = false;
    const rerun = await run();
    expect(rerun.counts).toMatchObject({ read: 5, delivered: 5 });
    // Each was found where the first run wrote it: none written twice.
    expect(written).toEqual(ids(5).map((r) => r.id));

    // A new ledger (the state was lost): every record is looked up before its write.
    const fresh = createMemoryLedger();
    const again = await runIntegration({
      integration: 't',
      source: sourceOf(pagesOf(ids(7), 7)),
      sink: { ...sink, lookupBeforeSend: 'new_ledger' },
      mapper,
      ledger: fresh,
      concurrency: 1,
    });
    expect(again.counts).toMatchObject({ read: 7, delivered: 7 });
    expect(written).toEqual([...ids(5), ...ids(7).slice(5)].map((r) => r.id));
  });

  it('keeps a whole batch in flight when its write throws what stops the run, so the next run reconciles it', async () => {
    const ledger = createMemoryLedger();
    const sink: SinkConnector = {
      send: async () => ({ state: 'delivered', attempts: 1 }),
      sendBatch: async () => {
        throw new FerryError('FERRY_ERR_INTERNAL', 'the sink broke its promise');
      },
      close: async () => {},
    };
    const result = await runIntegration({
      integration: 't',
      source: sourceOf(pagesOf(ids(5), 5)),
      sink,
      mapper,
      ledger,
      concurrency: 1,
    });
    expect(result.status).toBe('aborted');
    expect((await ledger.listInFlight('t')).map((r) => r.key)).toEqual(ids(5).map((r) => r.id));
    expect(await ledger.getCheckpoint('t')).toBeNull();
  });
});

describe('runIntegration: the read against the total the source announced', () => {
  /** 1,000 records in pages of 100, each page announcing `total`, as a server that stops early would. */
  const announcing = (total: number) =>
    pagesOf(ids(1000), 100).map((page, i) => ({ ...page, totalRecords: total, recordsBefore: i * 100 }));
  const runAnnouncing = (total: number, extra: Partial<Parameters<typeof runIntegration>[0]> = {}) =>
    runIntegration({
      integration: 't',
      source: sourceOf(announcing(total)),
      sink: sinkRecording().sink,
      mapper,
      ledger: createMemoryLedger(),
      concurrency: 8,
      ...extra,
    });

  it('fails a complete read that returned fewer records than announced, naming expected and read', async () => {
    const { sink, sent } = sinkRecording();
    const result = await runAnnouncing(1050, { sink });
    expect(result.status).toBe('aborted');
    expect(result.error?.code).toBe('FERRY_ERR_SOURCE_INCOMPLETE');
    expect(result.error?.message).toContain('announced 1050 records but the complete read returned 1000');
    expect(result.error?.details).toMatchObject({ expected: 1050, read: 1000 });
    // What was read is still delivered, and the next run starts over rather than resuming past the end.
    expect(sent).toHaveLength(1000);
    expect(result.checkpoint).toBeNull();
  });

  it('only warns, through the observer, when the mismatch is allowed', async () => {
    const warnings: unknown[] = [];
    const result = await runAnnouncing(1050, {
      source: { ...sourceOf(announcing(1050)), onTotalMismatch: 'warn' },
      observer: { onSourceTotalMismatch: (e) => warnings.push(e) },
    });
    expect(result.status).toBe('completed');
    expect(warnings).toEqual([{ expected: 1050, read: 1000 }]);
  });

  it('accepts a read that matches the total, and does not check one cut short by --limit', async () => {
    expect((await runAnnouncing(1000)).status).toBe('completed');
    expect((await runAnnouncing(1050, { limit: 250 })).status).toBe('completed');
  });

  it('counts the records before a resumed read from what the source says, and checks the whole', async () => {
    const ledger = createMemoryLedger();
    await ledger.saveCheckpoint('t', { page: 6 }, 'earlier-run');
    const result = await runAnnouncing(1050, { ledger });
    expect(result.counts.read).toBe(500);
    expect(result.error?.details).toMatchObject({ expected: 1050, read: 1000 });
  });

  it('does not check a resumed read when the source cannot say how many records came before', async () => {
    const ledger = createMemoryLedger();
    await ledger.saveCheckpoint('t', { page: 6 }, 'earlier-run');
    const pages = announcing(1000).map(({ recordsBefore: _, ...page }) => page);
    const result = await runAnnouncing(1000, { ledger, source: sourceOf(pages) });
    expect(result.counts.read).toBe(500);
    expect(result.status).toBe('completed');
  });
});
