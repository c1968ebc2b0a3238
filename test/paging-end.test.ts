import { afterEach, describe, expect, it } from 'vitest';
import { exitCodeForRun } from '../src/cli/exit-codes.ts';
import { createRestSource } from '../src/connectors/rest/rest-source.ts';
import type { OutgoingRecord, SinkConnector } from '../src/core/connector-types.ts';
import type { RecordMapper } from '../src/engine/engine-types.ts';
import { runIntegration } from '../src/engine/run-integration.ts';
import { composeSend } from '../src/http/compose.ts';
import { createHttpTransport } from '../src/http/http-transport.ts';
import { type MockSourceOptions, startMockSource } from '../src/mocks/mock-source.ts';
import type { PaginationOptions } from '../src/pagination/create-paginator.ts';
import { createMemoryLedger } from './support/memory-ledger.ts';

/** Every record is its own order: no record is quarantined, so a complete run exits 0. */
const passThrough: RecordMapper = {
  keyOf: async (r) => ({ ok: true, key: JSON.stringify(r) }),
  apply: async (r) => ({ ok: true, key: JSON.stringify(r), body: { customer: r } }),
};

const styles: Array<[string, PaginationOptions, string]> = [
  ['page_number', { type: 'page_number', pageSize: 500 }, ''],
  ['offset', { type: 'offset', limit: 500 }, ''],
  ['link_header', { type: 'link_header' }, '?page=1&per_page=500'],
  ['auto', { type: 'auto' }, '?page=1&per_page=500'],
];

describe('reading to the real end of a paged source (mock source, REST source, engine)', () => {
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  async function run(mock: MockSourceOptions, pagination: PaginationOptions, query: string, rules = false) {
    const source = await startMockSource({ count: 1050, seed: 3, ...mock });
    const transport = createHttpTransport();
    closers.push(source.close, () => transport.close());
    const send = composeSend(transport, [
      (next) => (req) => next({ ...req, headers: { ...req.headers, 'x-api-key': source.apiKey } }),
    ]);
    const sent: OutgoingRecord[] = [];
    const sink: SinkConnector = {
      send: async (record) => {
        sent.push(record);
        return { state: 'delivered', status: 201, attempts: 1 };
      },
      close: async () => {},
    };
    const result = await runIntegration({
      integration: 'paging',
      source: createRestSource({
        url: `${source.url}${query}`,
        send,
        pagination,
        ...(rules ? { rules: [{ status: 404, action: 'end_of_data' }] } : {}),
      }),
      sink,
      mapper: passThrough,
      ledger: createMemoryLedger(),
      concurrency: 8,
    });
    return { result, sent, stats: source.stats() };
  }

  for (const [style, pagination, query] of styles) {
    it(`reads all 1,050 records with ${style} paging from a server capping pages at 100`, async () => {
      const { result, stats } = await run({ maxPageSize: 100 }, pagination, query);
      expect(result.counts.read).toBe(1050);
      expect(stats.customersServed).toBe(1050);
      expect(result.status).toBe('completed');
      expect(exitCodeForRun(result.status)).toBe(0);
    });

    it(`fails the ${style} read loudly when the server stops at 1,000 of the 1,050 it announces`, async () => {
      const { result } = await run({ maxPageSize: 100, serveAtMost: 1000 }, pagination, query);
      expect(result.counts.read).toBe(1000);
      expect(result.status).toBe('aborted');
      expect(result.error?.code).toBe('FERRY_ERR_SOURCE_INCOMPLETE');
      expect(result.error?.message).toContain('announced 1050 records but the complete read returned 1000');
      expect(exitCodeForRun(result.status)).toBe(3);
    });
  }

  it('ends a page_number read at a DRF-style 404 with every record delivered and exit 0', async () => {
    const { result, sent } = await run(
      { maxPageSize: 100, endStatus: 404 },
      { type: 'page_number', pageSize: 100 },
      '',
      true,
    );
    expect(result.status).toBe('completed');
    expect(result.counts.read).toBe(1050);
    expect(result.counts.delivered + result.counts.skipped).toBe(1050);
    expect(sent.length).toBe(result.counts.delivered);
    expect(result.checkpoint).toBeNull();
    expect(exitCodeForRun(result.status)).toBe(0);
  });
});
