import { describe, expect, it } from 'vitest';
import { createMemoryLedger } from '../../test/support/memory-ledger.ts';
import type { SourceConnector } from '../core/connector-types.ts';
import type { RecordMapper } from './engine-types.ts';
import { previewIntegration } from './preview-integration.ts';

const source = (records: { id: string }[]): SourceConnector => ({
  async *readPages() {
    yield { pageNumber: 1, url: 'http://src/p1', records, next: null };
  },
  close: async () => {},
});

const mapper: RecordMapper = {
  keyOf: async (r) => ({ ok: true, key: (r as { id: string }).id }),
  apply: async (r, { firstMappedAt }) => ({
    ok: true,
    key: (r as { id: string }).id,
    body: { id: (r as { id: string }).id, at: firstMappedAt },
  }),
};

describe('previewIntegration', () => {
  it('counts records the ledger has as delivered and repeats in the source as skips, and maps with kept times', async () => {
    const ledger = createMemoryLedger();
    await ledger.update('t', 'r0', [
      { key: 'a', state: 'delivered', firstMappedAt: '2026-01-01T00:00:00Z' },
      { key: 'b', state: 'failed', firstMappedAt: '2026-01-02T00:00:00Z' },
    ]);
    const preview = await previewIntegration({
      source: source([{ id: 'a' }, { id: 'b' }, { id: 'c' }, { id: 'c' }]),
      mapper,
      ledger,
      integration: 't',
      clock: () => new Date('2026-05-05T05:05:05.500Z'),
    });
    expect(preview).toMatchObject({ read: 4, wouldSend: 2, wouldSkip: 2, deliveredBefore: 1, duplicates: 1 });
    expect(preview.sampleBodies).toEqual([
      { id: 'b', at: '2026-01-02T00:00:00Z' },
      { id: 'c', at: '2026-05-05T05:05:05Z' },
    ]);
  });

  it('reads an incremental source from its high-water mark, as a real run would', async () => {
    const ledger = createMemoryLedger();
    const run = await ledger.startRun('t', '2026-01-01T00:00:00Z');
    await ledger.saveCheckpoint('t', null, run.id, { field: 'v', mark: 7, pending: null, retryFrom: null });
    const sinces: unknown[] = [];
    const incremental: SourceConnector = {
      incremental: { field: 'v', type: 'number', lookback: 2 },
      async *readPages({ since }) {
        sinces.push(since);
        yield { records: [{ id: 'a' }], next: null };
      },
      close: async () => {},
    };
    await previewIntegration({ source: incremental, mapper, ledger, integration: 't' });
    await previewIntegration({ source: incremental, mapper });
    expect(sinces).toEqual([5, undefined]);
  });

  it('without a ledger, counts only the repeats in the source as skips', async () => {
    const preview = await previewIntegration({ source: source([{ id: 'a' }, { id: 'a' }]), mapper });
    expect(preview).toMatchObject({ read: 2, wouldSend: 1, wouldSkip: 1, deliveredBefore: 0, duplicates: 1 });
  });
});
