import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Checkpoint, SourcePage } from '../../core/connector-types.ts';
import { hasErrorCode } from '../../core/errors.ts';
import { clearSecretsForTests, registerSecret } from '../../core/secret-registry.ts';
import { createHttpTransport, type HttpTransport } from '../../http/http-transport.ts';
import type { PaginationOptions } from '../../pagination/create-paginator.ts';
import { createRestSource, type RestSourceOptions } from './rest-source.ts';

interface Reply {
  readonly status?: number;
  readonly body: unknown;
  readonly headers?: Record<string, string>;
}

/** A loopback server whose routes are plain functions of the parsed URL; it logs every request path. */
async function startServer(route: (url: URL) => Reply) {
  const seen: string[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    seen.push(req.url ?? '');
    const reply = route(new URL(req.url ?? '/', 'http://x'));
    res.writeHead(reply.status ?? 200, { 'content-type': 'application/json', ...reply.headers });
    res.end(JSON.stringify(reply.body));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const customers = Array.from({ length: 250 }, (_, i) => ({
  customer_id: String(i + 1),
  first_name: `C${i + 1}`,
}));
const int = (url: URL, name: string, fallback: number) => Number(url.searchParams.get(name) ?? fallback);
/** A larger set for servers that cap the page size they are asked for. */
const many = Array.from({ length: 1050 }, (_, i) => ({ customer_id: String(i + 1) }));
const CAP = 100;

function api(url: URL): Reply {
  switch (url.pathname) {
    case '/plain':
      return { body: customers };
    case '/linked': {
      // Pages only when asked to, like the bundled mock; links are relative and come with others.
      if (!url.searchParams.has('page')) return { body: customers };
      const page = int(url, 'page', 1);
      const size = int(url, 'per_page', 100);
      const last = Math.ceil(customers.length / size);
      const links = [`</linked?page=1&per_page=${size}>; rel="first"`];
      if (page < last)
        links.push(`</linked?page=${page + 1}&per_page=${size}>; rel="next last"; title="a, b"`);
      return { body: customers.slice((page - 1) * size, page * size), headers: { link: links.join(', ') } };
    }
    case '/numbered': {
      const page = int(url, 'p', 0);
      const size = int(url, 'size', 100);
      return { body: { data: { items: customers.slice(page * size, (page + 1) * size) } } };
    }
    case '/offset': {
      const offset = int(url, 'skip', 0);
      return { body: { results: customers.slice(offset, offset + int(url, 'take', 100)) } };
    }
    case '/cursor': {
      const after = int(url, 'after', 0);
      const next = after + 40 < customers.length ? String(after + 40) : null;
      const meta = { next_cursor: next, total: customers.length + 50 }; // announces 50 it never serves
      return { body: { items: customers.slice(after, after + 40), meta } };
    }
    case '/next': {
      const from = int(url, 'from', 0);
      const next = from + 60 < customers.length ? `/next?from=${from + 60}` : undefined;
      return {
        body: { results: customers.slice(from, from + 60), links: next ? { next } : {} },
        headers: { 'x-total-count': String(customers.length + 50) },
      };
    }
    case '/next-broken':
      return { body: { results: customers.slice(0, 60), links: { next: '/gone' } } };
    case '/self-link':
      return { body: [{ id: 1 }], headers: { link: `<${url.pathname}${url.search}>; rel="next"` } };
    case '/cycle': {
      const to = url.searchParams.get('at') === 'b' ? 'a' : 'b';
      return {
        body: [{ at: url.searchParams.get('at') }],
        headers: { link: `</cycle?at=${to}>; rel="next"` },
      };
    }
    case '/ignores-page': {
      const page = int(url, 'page', 1);
      return {
        body: customers.slice(0, 10),
        headers: { link: `</ignores-page?page=${page + 1}>; rel="next"` },
      };
    }
    case '/cursor-loop': {
      const cursor = url.searchParams.get('cursor');
      const next = cursor === null ? 'c1' : cursor === 'c1' ? 'c2' : 'c1';
      return { body: { items: [{ cursor }], meta: { next_cursor: next } } };
    }
    case '/endless': {
      const page = int(url, 'page', 1);
      return { body: [{ page }], headers: { link: `</endless?page=${page + 1}>; rel="next"` } };
    }
    case '/capped-pages': {
      // Serves at most CAP records whatever per_page asks for, and an empty page past the end.
      const size = Math.min(CAP, int(url, 'per_page', 100));
      const page = int(url, 'page', 1);
      return { body: many.slice((page - 1) * size, page * size) };
    }
    case '/capped-offset': {
      const offset = int(url, 'offset', 0);
      return { body: many.slice(offset, offset + Math.min(CAP, int(url, 'limit', 100))) };
    }
    case '/clamped': {
      // Answers any page past the last with the last page again.
      const page = Math.min(int(url, 'page', 1), 3);
      return { body: many.slice((page - 1) * 100, page * 100 - (page === 3 ? 50 : 0)) };
    }
    case '/drf': {
      // Django REST Framework: a capped page_size, `count` in the body, and 404 past the last page.
      const size = Math.min(CAP, int(url, 'page_size', 100));
      const page = int(url, 'page', 1);
      const total = url.searchParams.has('empty') ? 0 : many.length;
      if ((page - 1) * size >= total && page > 1) return { status: 404, body: { detail: 'Invalid page.' } };
      if (url.searchParams.has('empty')) return { status: 404, body: { detail: 'Invalid page.' } };
      if (page > int(url, 'gone_after', page)) return { status: 404, body: { detail: 'Not found.' } };
      return { body: { count: total, results: many.slice((page - 1) * size, page * size) } };
    }
    case '/wrapped':
      return { body: { data: { items: { not: 'an array' } } } };
    case '/flaky': {
      const page = int(url, 'page', 1);
      if (page === 3) return { status: 503, body: { error: 'down for maintenance' } };
      return {
        body: customers.slice((page - 1) * 10, page * 10),
        headers: { link: `</flaky?page=${page + 1}>; rel="next"` },
      };
    }
    case '/locked':
      return { status: 401, body: { error: 'missing API key' } };
    case '/echo-key': {
      const page = int(url, 'page', 1);
      const link =
        page < 3
          ? { link: `</echo-key?page=${page + 1}&api_key=sk_live_echoed_123>; rel="next"` }
          : undefined;
      return { body: [{ page }], ...(link ? { headers: link } : {}) };
    }
    default:
      return { status: 404, body: { error: 'no such route' } };
  }
}

let server: Awaited<ReturnType<typeof startServer>>;
let other: Awaited<ReturnType<typeof startServer>>;
let transport: HttpTransport;

beforeAll(async () => {
  server = await startServer(api);
  other = await startServer(() => ({ body: [{ stolen: true }] }));
  transport = createHttpTransport();
});
afterAll(async () => {
  await transport.close();
  await server.close();
  await other.close();
});
afterEach(() => {
  server.seen.length = 0;
  other.seen.length = 0;
  clearSecretsForTests();
});

function source(path: string, pagination: PaginationOptions, extra: Partial<RestSourceOptions> = {}) {
  return createRestSource({
    url: `${server.origin}${path}`,
    send: transport.send,
    pagination,
    endpoint: 'customers',
    ...extra,
  });
}

async function readAll(
  src: ReturnType<typeof createRestSource>,
  from: Checkpoint | null = null,
): Promise<SourcePage[]> {
  const pages: SourcePage[] = [];
  for await (const page of src.readPages({ from, signal: new AbortController().signal })) pages.push(page);
  return pages;
}

async function readError(
  src: ReturnType<typeof createRestSource>,
): Promise<{ error: unknown; pages: number }> {
  let pages = 0;
  try {
    for await (const _ of src.readPages({ from: null, signal: new AbortController().signal })) pages++;
  } catch (error) {
    return { error, pages };
  }
  throw new Error(`expected the read to fail, but it yielded ${pages} pages`);
}

const idsOf = (pages: SourcePage[]) =>
  pages.flatMap((p) => p.records.map((r) => (r as { customer_id: string }).customer_id));
const allIds = customers.map((c) => c.customer_id);

describe('REST source: every style yields every record once', () => {
  const styles: Array<[string, string, PaginationOptions, Partial<RestSourceOptions>, number]> = [
    ['none', '/plain', { type: 'none' }, {}, 1],
    ['link_header', '/linked?page=1&per_page=30', { type: 'link_header' }, {}, 9],
    [
      'page_number',
      '/numbered',
      { type: 'page_number', pageParam: 'p', sizeParam: 'size', pageSize: 50, start: 0 },
      { recordsPath: 'data.items' },
      6, // 5 full pages and the empty one that proves the end
    ],
    [
      'offset',
      '/offset',
      { type: 'offset', offsetParam: 'skip', limitParam: 'take', limit: 100 },
      { recordsPath: 'results' },
      4, // 3 pages and the empty one that proves the end
    ],
    [
      'cursor',
      '/cursor',
      { type: 'cursor', cursorPath: 'meta.next_cursor', cursorParam: 'after' },
      { recordsPath: 'items' },
      7,
    ],
    ['next_url', '/next', { type: 'next_url', nextUrlPath: 'links.next' }, { recordsPath: 'results' }, 5],
  ];

  for (const [style, path, pagination, extra, pageCount] of styles) {
    it(`walks ${style} pagination over 250 records`, async () => {
      const pages = await readAll(source(path, pagination, extra));
      expect(idsOf(pages)).toEqual(allIds);
      expect(pages.map((p) => p.label)).toEqual(Array.from({ length: pageCount }, (_, i) => `page ${i + 1}`));
      expect(pages.at(-1)?.next).toBeNull();
      expect(server.seen).toHaveLength(pageCount);
    });
  }

  it('auto follows Link rel=next when the source sends it', async () => {
    const pages = await readAll(source('/linked?page=1&per_page=100', { type: 'auto' }));
    expect(pages.map((p) => p.records.length)).toEqual([100, 100, 50]);
    expect(idsOf(pages)).toEqual(allIds);
  });

  it('auto takes a response without a Link header as the only page', async () => {
    const pages = await readAll(source('/linked', { type: 'auto' }));
    expect(pages).toHaveLength(1);
    expect(pages[0]?.next).toBeNull();
    expect(idsOf(pages)).toEqual(allIds);
  });

  it('uses auto when no pagination is configured', async () => {
    const src = createRestSource({
      url: `${server.origin}/linked?page=1&per_page=125`,
      send: transport.send,
    });
    expect(idsOf(await readAll(src))).toEqual(allIds);
    expect(server.seen).toHaveLength(2);
  });
});

describe('REST source: checkpoints', () => {
  it('each page carries the checkpoint of the next, and resuming from one yields exactly the rest', async () => {
    const src = source('/linked?page=1&per_page=50', { type: 'link_header' });
    const firstTwo: SourcePage[] = [];
    for await (const page of src.readPages({ from: null, signal: new AbortController().signal })) {
      firstTwo.push(page);
      if (firstTwo.length === 2) break;
    }
    const checkpoint = firstTwo[1]?.next;
    expect(checkpoint).toMatchObject({
      nextUrl: `${server.origin}/linked?page=3&per_page=50`,
      pageNumber: 3,
    });
    const rest = await readAll(src, checkpoint ?? null);
    expect(rest.map((p) => p.label)).toEqual(['page 3', 'page 4', 'page 5']);
    expect([...idsOf(firstTwo), ...idsOf(rest)]).toEqual(allIds);
  });

  it('resumes a cursor read from the checkpoint URL alone', async () => {
    const src = source('/cursor', { type: 'cursor', cursorParam: 'after' }, { recordsPath: 'items' });
    const all = await readAll(src);
    const rest = await readAll(src, all[3]?.next ?? null);
    expect(idsOf(rest)).toEqual(allIds.slice(160));
  });

  it('starts over when the checkpoint was made for another source URL', async () => {
    const old = source('/linked?page=1&per_page=50', { type: 'link_header' });
    const checkpoint = (await readAll(old))[0]?.next ?? null;
    const changed = source('/linked?page=1&per_page=125', { type: 'link_header' });
    expect(idsOf(await readAll(changed, checkpoint))).toEqual(allIds);
  });

  it('refuses to resume from a checkpoint on another origin', async () => {
    const src = source('/plain', { type: 'auto' });
    const error = await readAll(src, { nextUrl: `${other.origin}/plain`, pageNumber: 2 }).catch(
      (e: unknown) => e,
    );
    expect(hasErrorCode(error, 'FERRY_ERR_HTTP_CROSS_ORIGIN')).toBe(true);
    expect(other.seen).toEqual([]);
  });
});

describe('REST source: incremental reads', () => {
  const incremental = {
    field: 'updated_at',
    type: 'timestamp',
    lookback: 0,
    param: 'updated_since',
  } as const;

  it('sends since in its parameter on the first page, and declares the cursor the engine tracks', async () => {
    const src = source(
      '/offset',
      { type: 'offset', offsetParam: 'skip', limitParam: 'take', limit: 100 },
      {
        recordsPath: 'results',
        incremental,
      },
    );
    expect(src.incremental).toEqual({ field: 'updated_at', type: 'timestamp', lookback: 0 });
    const pages: SourcePage[] = [];
    const since = '2026-01-01T00:00:00.000Z';
    for await (const page of src.readPages({ from: null, signal: new AbortController().signal, since })) {
      pages.push(page);
    }
    expect(idsOf(pages)).toEqual(allIds);
    // The paginator keeps the query on every page it builds.
    expect(
      server.seen.every((path) => new URL(path, 'http://x').searchParams.get('updated_since') === since),
    ).toBe(true);
  });

  it('reads everything before a first complete read, and resumes from the checkpoint URL as it was', async () => {
    const src = source('/linked?page=1&per_page=100', { type: 'link_header' }, { incremental });
    await readAll(src);
    expect(server.seen[0]).toBe('/linked?page=1&per_page=100');
    server.seen.length = 0;
    const resumed = await readAll(src, {
      nextUrl: `${server.origin}/linked?page=3&per_page=100`,
      pageNumber: 3,
    });
    expect(idsOf(resumed)).toEqual(allIds.slice(200));
    expect(server.seen).toEqual(['/linked?page=3&per_page=100']);
  });
});

describe('REST source: pagination guards', () => {
  it('stops when the next link points to the page just read', async () => {
    const { error, pages } = await readError(source('/self-link?x=1', { type: 'link_header' }));
    expect(hasErrorCode(error, 'FERRY_ERR_SOURCE_PAGINATION')).toBe(true);
    expect((error as Error).message).toContain(`${server.origin}/self-link?x=1`);
    expect((error as Error).message).toContain('already read as page 1');
    expect(pages).toBe(0);
    expect(server.seen).toHaveLength(1);
  });

  it('stops when next links cycle back to an earlier page', async () => {
    const { error, pages } = await readError(source('/cycle?at=a', { type: 'link_header' }));
    expect(hasErrorCode(error, 'FERRY_ERR_SOURCE_PAGINATION')).toBe(true);
    expect((error as Error).message).toMatch(
      /page 2 of customers points to .*\/cycle\?at=a .*already read as page 1/,
    );
    expect(pages).toBe(1);
  });

  it('stops when a page repeats the previous page (the server ignores the paging parameter)', async () => {
    const { error, pages } = await readError(source('/ignores-page?page=1', { type: 'link_header' }));
    expect(hasErrorCode(error, 'FERRY_ERR_SOURCE_PAGINATION')).toBe(true);
    expect((error as Error).message).toContain('page 2 of customers');
    expect((error as Error).message).toContain('repeats page 1');
    expect(pages).toBe(1);
  });

  it('stops when a cursor repeats and names the cursor', async () => {
    const { error } = await readError(source('/cursor-loop', { type: 'cursor' }, { recordsPath: 'items' }));
    expect(hasErrorCode(error, 'FERRY_ERR_SOURCE_PAGINATION')).toBe(true);
    expect((error as Error).message).toContain('the cursor "c1"');
    expect(server.seen).toEqual(['/cursor-loop', '/cursor-loop?cursor=c1', '/cursor-loop?cursor=c2']);
  });

  it('stops after max_pages pages', async () => {
    const { error, pages } = await readError(source('/endless?page=1', { type: 'link_header', maxPages: 5 }));
    expect(hasErrorCode(error, 'FERRY_ERR_SOURCE_PAGINATION')).toBe(true);
    expect((error as Error).message).toContain('max_pages is 5');
    expect(pages).toBe(4);
    expect(server.seen).toHaveLength(5);
  });

  it('lets the maxPages option win over the pagination block', async () => {
    const { error } = await readError(
      source('/endless?page=1', { type: 'link_header', maxPages: 50 }, { maxPages: 2 }),
    );
    expect((error as Error).message).toContain('max_pages is 2');
  });

  it('refuses a Link next page on another origin and sends it nothing', async () => {
    const crossLink = `<${other.origin}/customers?page=2>; rel="next"`;
    const evil = await startServer(() => ({ body: customers.slice(0, 5), headers: { link: crossLink } }));
    try {
      const { error, pages } = await readError(
        createRestSource({ url: `${evil.origin}/customers`, send: transport.send, endpoint: 'customers' }),
      );
      expect(hasErrorCode(error, 'FERRY_ERR_HTTP_CROSS_ORIGIN')).toBe(true);
      expect((error as Error).message).toContain(
        `the next page link points to ${other.origin}; ferry does not send credentials to another origin`,
      );
      expect(pages).toBe(0);
      expect(other.seen).toEqual([]);
    } finally {
      await evil.close();
    }
  });

  it('refuses a next_url in the body on another origin (even the same host on another port)', async () => {
    const evil = await startServer(() => ({
      body: { results: [], links: { next: `${other.origin}/steal` } },
    }));
    try {
      const { error } = await readError(
        createRestSource({
          url: `${evil.origin}/x`,
          send: transport.send,
          recordsPath: 'results',
          pagination: { type: 'next_url' },
        }),
      );
      expect(hasErrorCode(error, 'FERRY_ERR_HTTP_CROSS_ORIGIN')).toBe(true);
      expect(other.seen).toEqual([]);
    } finally {
      await evil.close();
    }
  });

  it('drops an echoed credential from the next link so it never reaches a checkpoint', async () => {
    registerSecret('sk_live_echoed_123');
    const pages = await readAll(source('/echo-key?page=1', { type: 'link_header' }));
    expect(pages).toHaveLength(3);
    const checkpoints = JSON.stringify(pages.map((p) => p.next));
    expect(checkpoints).not.toContain('sk_live_echoed_123');
    expect(pages[0]?.next?.nextUrl).toBe(`${server.origin}/echo-key?page=2`);
  });
});

describe('REST source: errors name the page and URL', () => {
  it('refuses a body where records_path holds no array', async () => {
    const { error } = await readError(source('/wrapped', { type: 'none' }, { recordsPath: 'data.items' }));
    expect(hasErrorCode(error, 'FERRY_ERR_SOURCE_SHAPE')).toBe(true);
    expect((error as Error).message).toBe(
      `page 1 from ${server.origin}/wrapped: expected an array of records at data.items, found object`,
    );
  });

  it('says what is missing when records_path leads nowhere', async () => {
    const { error } = await readError(source('/wrapped', { type: 'none' }, { recordsPath: 'data.rows' }));
    expect(hasErrorCode(error, 'FERRY_ERR_SOURCE_SHAPE')).toBe(true);
    expect((error as Error).message).toContain('at data.rows, found nothing (no "data.rows")');
  });

  it('refuses an object body when records_path is "" (the body must be the array)', async () => {
    const { error } = await readError(source('/wrapped', { type: 'none' }));
    expect((error as Error).message).toContain(
      'expected an array of records at the top of the body, found object',
    );
  });

  it('fails a 503 page with the page number, URL and status, after yielding the pages before it', async () => {
    const { error, pages } = await readError(source('/flaky?page=1', { type: 'link_header' }));
    expect(pages).toBe(2);
    // Transient, not a config problem: rerunning later may well succeed.
    expect(hasErrorCode(error, 'FERRY_ERR_HTTP_TRANSIENT')).toBe(true);
    expect((error as Error).message).toBe(
      `fetching page 3 of customers from ${server.origin}/flaky?page=3: 503 Service Unavailable: {"error":"down for maintenance"}`,
    );
    expect((error as { details: unknown }).details).toMatchObject({ pageNumber: 3, status: 503 });
  });

  it('names the page in errors from the HTTP layer and keeps their code', async () => {
    const { error } = await readError(
      createRestSource({
        url: 'http://127.0.0.1:1/customers',
        send: transport.send,
        endpoint: 'customers',
      }),
    );
    expect(hasErrorCode(error, 'FERRY_ERR_HTTP_TRANSIENT')).toBe(true);
    expect((error as Error).message).toMatch(
      /^fetching page 1 of customers: GET http:\/\/127\.0\.0\.1:1\/customers/,
    );
    expect((error as { details: unknown }).details).toMatchObject({ pageNumber: 1 });
  });

  it('fails a 401 as unauthorized', async () => {
    const { error } = await readError(source('/locked', { type: 'none' }));
    expect(hasErrorCode(error, 'FERRY_ERR_HTTP_UNAUTHORIZED')).toBe(true);
    expect((error as Error).message).toContain('401 Unauthorized');
  });

  it('fails a 404 as an unexpected status', async () => {
    const { error } = await readError(source('/nowhere', { type: 'none' }));
    expect(hasErrorCode(error, 'FERRY_ERR_HTTP_STATUS')).toBe(true);
  });
});

describe('REST source: the end of the data', () => {
  const drfPaging: PaginationOptions = { type: 'page_number', sizeParam: 'page_size', pageSize: 500 };
  const manyIds = many.map((c) => c.customer_id);
  const endOfData = [{ status: 404, action: 'end_of_data' } as const];

  it('ends the read at a DRF-style 404 past the last page when a rule says end_of_data', async () => {
    const pages = await readAll(source('/drf', drfPaging, { recordsPath: 'results', rules: endOfData }));
    expect(idsOf(pages)).toEqual(manyIds);
    // 11 capped pages, then the 404 as an empty last page that clears the checkpoint.
    expect(pages).toHaveLength(12);
    expect(pages.at(-1)).toMatchObject({ records: [], next: null, recordsBefore: 1050 });
    expect(server.seen.at(-1)).toBe('/drf?page_size=500&page=12');
  });

  it('ends on a rule matching the body too, and fails a 404 with another body', async () => {
    const rules = [{ status: 404, bodyContains: 'Invalid page', action: 'end_of_data' } as const];
    const pages = await readAll(source('/drf', drfPaging, { recordsPath: 'results', rules }));
    expect(idsOf(pages)).toEqual(manyIds);
    const { error, pages: before } = await readError(
      source('/drf?gone_after=2', drfPaging, { recordsPath: 'results', rules }),
    );
    expect(before).toBe(2);
    expect(hasErrorCode(error, 'FERRY_ERR_HTTP_STATUS')).toBe(true);
    expect((error as Error).message).toContain('404 Not Found: {"detail":"Not found."}');
  });

  it('ends page_number and offset reads at a 404 past the last page without any rule', async () => {
    const pages = await readAll(source('/drf', drfPaging, { recordsPath: 'results' }));
    expect(idsOf(pages)).toEqual(manyIds);
    expect(pages.at(-1)).toMatchObject({ records: [], next: null, recordsBefore: 1050 });
  });

  it('fails a 404 on a next link the server gave, and says which rule would end the read', async () => {
    const { error, pages } = await readError(
      source('/next-broken', { type: 'next_url', nextUrlPath: 'links.next' }, { recordsPath: 'results' }),
    );
    expect(pages).toBe(1);
    expect(hasErrorCode(error, 'FERRY_ERR_HTTP_STATUS')).toBe(true);
    expect((error as Error).message).toContain('page 2 of customers');
    expect((error as Error).message).toContain(
      'add `responses: [{ status: 404, action: end_of_data }]` to the source',
    );
  });

  it('keeps a 404 on the first page a config error even with an end_of_data rule', async () => {
    const { error, pages } = await readError(
      source('/drf?empty=1', drfPaging, { recordsPath: 'results', rules: endOfData }),
    );
    expect(pages).toBe(0);
    expect(hasErrorCode(error, 'FERRY_ERR_HTTP_STATUS')).toBe(true);
    expect((error as Error).message).toMatch(
      /fetching page 1 of customers from .*404 Not Found: \{"detail":"Invalid page\."\}; the first page matched an end_of_data rule .*check source\.url/,
    );
  });

  it('reads every record from a server capping page_number pages at 100 of the 500 asked for', async () => {
    const pages = await readAll(source('/capped-pages', { type: 'page_number', pageSize: 500 }));
    expect(idsOf(pages)).toEqual(manyIds);
    expect(pages.map((p) => p.records.length)).toEqual([...Array(10).fill(100), 50, 0]);
  });

  it('reads every record from a server capping offset pages at 100 of the 500 asked for', async () => {
    const pages = await readAll(source('/capped-offset', { type: 'offset', limit: 500 }));
    expect(idsOf(pages)).toEqual(manyIds);
    expect(server.seen.at(-1)).toBe('/capped-offset?limit=500&offset=1050');
  });

  it('stops at the total announced in the body without asking for a page past it', async () => {
    const pages = await readAll(
      source('/drf', drfPaging, { recordsPath: 'results', totalPath: 'count', rules: endOfData }),
    );
    expect(idsOf(pages)).toEqual(manyIds);
    expect(pages).toHaveLength(11);
    expect(pages.every((p) => p.totalRecords === 1050)).toBe(true);
    expect(pages.at(-1)?.next).toBeNull();
  });

  it.each([
    [
      'cursor',
      '/cursor',
      { type: 'cursor', cursorParam: 'after' },
      { recordsPath: 'items', totalPath: 'meta.total' },
    ],
    ['next_url', '/next', { type: 'next_url' }, { recordsPath: 'results' }],
  ] as const)(
    'hands on the total a %s source announces, so a short read can be told',
    async (_, path, paging, extra) => {
      const pages = await readAll(source(path, paging, extra));
      expect(idsOf(pages)).toEqual(allIds);
      expect(pages.every((p) => p.totalRecords === 300)).toBe(true);
      const last = pages.at(-1)!;
      expect((last.recordsBefore ?? 0) + last.records.length).toBe(250);
    },
  );

  it('names the clamped last page as a cause of a repeat, and the total as the way out', async () => {
    const { error, pages } = await readError(source('/clamped', { type: 'page_number', pageSize: 100 }));
    expect(pages).toBe(3);
    expect(hasErrorCode(error, 'FERRY_ERR_SOURCE_PAGINATION')).toBe(true);
    expect((error as Error).message).toContain('answers its last page again past the end');
  });

  it('refuses a total_path that leads to no whole number', async () => {
    const { error } = await readError(
      source('/drf', drfPaging, { recordsPath: 'results', totalPath: 'results' }),
    );
    expect(hasErrorCode(error, 'FERRY_ERR_SOURCE_SHAPE')).toBe(true);
    expect((error as Error).message).toContain('expected a whole number of records at results, found array');
  });

  it('carries the records read so far in the checkpoint, so a resumed read knows where it is', async () => {
    const pages = await readAll(source('/capped-pages', { type: 'page_number', pageSize: 100 }));
    const resumed = await readAll(
      source('/capped-pages', { type: 'page_number', pageSize: 100 }),
      pages[4]!.next,
    );
    expect(resumed[0]?.recordsBefore).toBe(500);
    expect(idsOf(resumed)).toEqual(manyIds.slice(500));
    // A checkpoint written before counts were kept: the count stays unknown rather than wrong.
    const { recordsBefore: _, ...older4 } = pages[4]!.next!;
    const older = await readAll(source('/capped-pages', { type: 'page_number', pageSize: 100 }), older4);
    expect(older[0]).not.toHaveProperty('recordsBefore');
    // A checkpoint written before checkpoints were opaque kept its source id and count under `extra`.
    const { source: sourceId, recordsBefore, ...bare } = pages[4]!.next!;
    const legacy = await readAll(source('/capped-pages', { type: 'page_number', pageSize: 100 }), {
      ...bare,
      extra: { source: sourceId!, recordsBefore: recordsBefore! },
    });
    expect(legacy[0]?.recordsBefore).toBe(500);
    expect(idsOf(legacy)).toEqual(manyIds.slice(500));
    expect(older[0]).not.toHaveProperty('recordsBefore');
    expect(idsOf(older)).toEqual(manyIds.slice(500));
  });
});

describe('REST source: streaming', () => {
  it('requests page N+1 only after the consumer asks for it', async () => {
    const pages = source('/linked?page=1&per_page=50', { type: 'link_header' }).readPages({
      from: null,
      signal: new AbortController().signal,
    });
    const iterator = pages[Symbol.asyncIterator]();
    expect(server.seen).toHaveLength(0);
    await iterator.next();
    expect(server.seen).toHaveLength(1);
    await iterator.next();
    expect(server.seen).toHaveLength(2);
    // Nothing is prefetched while the consumer holds back.
    await new Promise((resolve) => setImmediate(resolve));
    expect(server.seen).toHaveLength(2);
    await iterator.return?.(undefined);
    expect(server.seen).toHaveLength(2);
  });

  it('ends quietly once the signal is aborted', async () => {
    const controller = new AbortController();
    const read: SourcePage[] = [];
    for await (const page of source('/linked?page=1&per_page=50', { type: 'link_header' }).readPages({
      from: null,
      signal: controller.signal,
    })) {
      read.push(page);
      controller.abort();
    }
    expect(read).toHaveLength(1);
    expect(server.seen).toHaveLength(1);
  });

  it('sends the configured headers and asks for JSON', async () => {
    const seenHeaders: Array<Readonly<Record<string, string>>> = [];
    const src = createRestSource({
      url: `${server.origin}/plain`,
      send: (req) => {
        seenHeaders.push(req.headers);
        return transport.send(req);
      },
      headers: { 'x-tenant': 'acme' },
      endpoint: 'customers',
    });
    await readAll(src);
    expect(seenHeaders).toEqual([{ accept: 'application/json', 'x-tenant': 'acme' }]);
  });
});
