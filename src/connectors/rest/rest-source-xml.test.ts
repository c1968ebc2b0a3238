// The REST source reading XML pages (`format: xml`): every paging style against the bundled customer API's
// XML listing, batches with checkpoints inside a page, and what a broken or hostile peer can send.
import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { connectorContext, type TestContext } from '../../../test/support/connector-context.ts';
import type { Checkpoint, SourcePage } from '../../core/connector-types.ts';
import { customerAt } from '../../mocks/customer-data.ts';
import { CUSTOMERS_XML_NAMESPACE } from '../../mocks/customer-xml.ts';
import { type MockSourceHandle, startMockSource } from '../../mocks/mock-source.ts';
import { restSource } from './source-spec.ts';

let mock: MockSourceHandle | undefined;
let server: Server | undefined;
let context: TestContext | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  await Promise.all([mock?.close(), context?.close()]);
  mock = server = context = undefined;
});

const COUNT = 230;
const SEED = 11;

async function sourceFor(options: Record<string, unknown>) {
  context = connectorContext();
  return restSource.create(restSource.options.parse(options), context);
}

async function readAll(options: Record<string, unknown>, from: Checkpoint | null = null) {
  const source = await sourceFor(options);
  const pages: SourcePage[] = [];
  for await (const page of source.readPages({ from, signal: new AbortController().signal })) pages.push(page);
  return pages;
}

const idsOf = (pages: readonly SourcePage[]) =>
  pages.flatMap((page) => page.records.map((r) => (r as { '@id'?: string })['@id'] ?? '(none)'));

function expectedIds(from = 0, to = COUNT) {
  return Array.from({ length: to - from }, (_, i) => {
    const id = customerAt(SEED, from + i).customer_id;
    return id === undefined ? '(none)' : String(id);
  });
}

async function xmlSource(extra: Record<string, unknown> = {}, query = '') {
  mock ??= await startMockSource({ count: COUNT, seed: SEED });
  return {
    url: `${mock.xmlUrl}${query}`,
    format: 'xml',
    records_path: '/Customers/Customer',
    xml: { namespace: CUSTOMERS_XML_NAMESPACE, batch_size: 40 },
    auth: { type: 'api_key', in: 'header', name: 'X-API-Key', value: mock.apiKey },
    ...extra,
  };
}

describe('REST source with format: xml, every paging style', () => {
  it('reads one unpaged document, records by the convention, in batches', async () => {
    const pages = await readAll(await xmlSource({ pagination: { type: 'none' } }));
    expect(idsOf(pages)).toEqual(expectedIds());
    expect(pages.map((p) => p.records.length)).toEqual([40, 40, 40, 40, 40, 30]);
    expect(pages.at(-1)?.next).toBeNull();
    // A checkpoint inside the page comes back to it and skips what was handed on.
    expect(pages[1]?.next).toMatchObject({ pageNumber: 1, skip: 80, recordsBefore: 80 });
    const first = customerAt(SEED, 0);
    expect(pages[0]?.records[0]).toMatchObject({
      '@id': String(first.customer_id),
      FirstName: first.first_name,
      Email: first.email,
      Address: { Street: first.address?.street, City: first.address?.city },
    });
  });

  it('follows Link rel="next" (auto and link_header), page numbers and offsets, checking X-Total-Count', async () => {
    for (const [pagination, query] of [
      [{ type: 'auto' }, '?page=1&per_page=50'],
      [{ type: 'link_header' }, '?per_page=50'],
      [{ type: 'page_number', page_param: 'page', size_param: 'per_page', page_size: 60 }, ''],
      [{ type: 'offset', offset_param: 'offset', limit_param: 'limit', limit: 70 }, ''],
    ] as const) {
      const pages = await readAll(await xmlSource({ pagination }, query));
      expect(idsOf(pages), pagination.type).toEqual(expectedIds());
      expect(pages.find((p) => p.totalRecords !== undefined)?.totalRecords).toBe(COUNT);
    }
  });

  it('follows a cursor and a next URL found in the document, and a total at an attribute', async () => {
    const byCursor = await readAll(
      await xmlSource(
        {
          pagination: { type: 'cursor', cursor_path: '/Customers/NextCursor', cursor_param: 'cursor' },
          total_path: '/Customers/@total',
        },
        '?cursor=&limit=100',
      ),
    );
    expect(idsOf(byCursor)).toEqual(expectedIds());
    expect(byCursor.at(-1)?.totalRecords).toBe(COUNT);
    const byUrl = await readAll(
      await xmlSource(
        { pagination: { type: 'next_url', next_url_path: 'Customers.NextPage' } },
        '?cursor=&limit=100',
      ),
    );
    expect(idsOf(byUrl)).toEqual(expectedIds());
  });

  it('resumes from a checkpoint inside a page, skipping the records handed on before it', async () => {
    const options = await xmlSource({ pagination: { type: 'page_number', page_size: 100 } });
    const pages = await readAll(options);
    const inside = pages.find((p) => p.next !== null && p.next.skip !== undefined && p.next.pageNumber === 2);
    expect(inside?.next).toMatchObject({ pageNumber: 2, skip: 40, recordsBefore: 140 });
    const resumed = await readAll(options, inside?.next ?? null);
    expect(idsOf(resumed)).toEqual(expectedIds(140));
    expect(resumed[0]?.recordsBefore).toBe(140);
  });

  it('refuses records_path without an element path', () => {
    expect(() =>
      restSource.options.parse({ url: 'http://127.0.0.1:1/c.xml', format: 'xml', records_path: 'Customer' }),
    ).toThrow(/element path from the root to a record element, e.g. \/Customers\/Customer/);
  });
});

/** A peer answering every request with `answer`. */
async function peer(answer: { status?: number; type?: string; body: string | Buffer }) {
  server = createServer((_request, response) => {
    response.writeHead(answer.status ?? 200, answer.type ? { 'content-type': answer.type } : {});
    response.end(answer.body);
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}/customers.xml`;
}

async function failure(answer: { status?: number; type?: string; body: string | Buffer }, extra = {}) {
  const url = await peer(answer);
  try {
    await readAll({
      url,
      format: 'xml',
      records_path: '/Customers/Customer',
      pagination: { type: 'none' },
      ...extra,
    });
  } catch (error) {
    return { message: (error as Error).message, code: (error as { code?: string }).code, url };
  }
  throw new Error('expected the read to fail');
}

describe('REST source with format: xml refuses what is not the XML expected', () => {
  it('names an HTML error page answered 200', async () => {
    const found = await failure({
      type: 'text/html',
      body: '<!DOCTYPE html><html><body>Maintenance</body></html>',
    });
    expect(found.code).toBe('FERRY_ERR_HTTP_BAD_RESPONSE');
    expect(found.message).toBe(
      `fetching page 1 of source from ${found.url}: expected XML with records at /Customers/Customer (Content-Type application/xml, text/xml or */*+xml), got an HTML page (Content-Type "text/html")`,
    );
  });

  it('refuses a DTD with an external entity (XXE) and entity expansion, unread', async () => {
    const xxe = await failure({
      type: 'application/xml',
      body: '<?xml version="1.0"?><!DOCTYPE c [<!ENTITY x SYSTEM "file:///etc/passwd">]><Customers><Customer>&x;</Customer></Customers>',
    });
    expect(xxe.message).toBe(
      `fetching page 1 of source from ${xxe.url}: refused the document: a DOCTYPE is not accepted (no DTDs and no entity declarations)`,
    );
    expect(xxe.message).not.toContain('root:');
  });

  it('names a truncated document with the line and column where it ends', async () => {
    const found = await failure({
      type: 'application/xml',
      body: '<Customers><Customer id="1"><Name>A</Name>',
    });
    expect(found.message).toMatch(
      /: not well-formed XML at line 1, column \d+: unclosed tag: Customer \(expected XML with records at \/Customers\/Customer\)$/,
    );
  });

  it('names a document in another namespace, or with another root', async () => {
    const other = await failure(
      { type: 'text/xml; charset=utf-8', body: '<Customers xmlns="urn:other"><Customer/></Customers>' },
      { xml: { namespace: CUSTOMERS_XML_NAMESPACE } },
    );
    expect(other.message).toMatch(
      new RegExp(`: expected \\{${CUSTOMERS_XML_NAMESPACE}\\}Customers, got \\{urn:other\\}Customers$`),
    );
    const root = await failure({ type: 'application/xml', body: '<Orders><Order/></Orders>' });
    expect(root.message).toMatch(
      /: expected the root element Customers \(records at \/Customers\/Customer\), got Orders$/,
    );
  });

  it('refuses a document nested past the depth limit and one larger than max_response_bytes', async () => {
    const deep = await failure({
      type: 'application/xml',
      body: `<Customers><Customer>${'<a>'.repeat(200)}${'</a>'.repeat(200)}</Customer></Customers>`,
    });
    expect(deep.message).toMatch(/: refused the document: elements nest deeper than 64 levels$/);
    const big = await failure(
      { type: 'application/xml', body: `<Customers>${'<Customer/>'.repeat(2000)}</Customers>` },
      { max_response_bytes: '10KB' },
    );
    expect(big.code).toBe('FERRY_ERR_HTTP_RESPONSE_TOO_LARGE');
  });
});
