import { gunzipSync } from 'node:zlib';
import { parse } from 'csv-parse/sync';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CUSTOMER_CSV_COLUMNS, customerCsvCells } from './customer-csv.ts';
import { customerAt, type MockCustomer } from './customer-data.ts';
import { createFaultInjector } from './fault-injector.ts';
import { resolveFaults } from './fault-options.ts';
import { buildMockSource, type MockSourceHandle, startMockSource } from './mock-source.ts';

const API_KEY = 'test-api-key';

function nextLink(link: string | null | undefined): string | undefined {
  return link?.match(/<([^>]+)>;\s*rel="next"/)?.[1];
}

describe('mock source over a real loopback port', () => {
  let source: MockSourceHandle;
  beforeAll(async () => {
    source = await startMockSource({ count: 2345, seed: 9, apiKey: API_KEY });
  });
  afterAll(() => source.close());

  it('refuses a missing or wrong API key with 401 and a JSON error', async () => {
    for (const headers of [{}, { 'X-API-Key': 'nope' }]) {
      const response = await fetch(source.url, { headers });
      expect(response.status).toBe(401);
      expect(await response.json()).toMatchObject({ error: 'unauthorized' });
    }
  });

  it('streams the whole data set as one array without paging parameters', async () => {
    const response = await fetch(source.url, { headers: { 'X-API-Key': API_KEY } });
    expect(response.status).toBe(200);
    expect(response.headers.get('link')).toBeNull();
    const all = (await response.json()) as MockCustomer[];
    expect(all).toHaveLength(2345);
    expect(all[2000]).toEqual(customerAt(9, 2000));
  });

  it('exports the same data set as one CSV file (and gzipped), behind the API key', async () => {
    expect((await fetch(source.csvUrl)).status).toBe(401);
    const plain = await fetch(source.csvUrl, { headers: { 'X-API-Key': API_KEY } });
    expect(plain.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const rows = parse(await plain.text(), { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(2345);
    expect(rows[2000]).toEqual(
      Object.fromEntries(CUSTOMER_CSV_COLUMNS.map((c, i) => [c, customerCsvCells(customerAt(9, 2000))[i]])),
    );
    const gzipped = await fetch(`${source.csvUrl}.gz`, { headers: { 'X-API-Key': API_KEY } });
    const unzipped = gunzipSync(Buffer.from(await gzipped.arrayBuffer())).toString('utf8');
    expect(unzipped.split('\r\n')[0]).toBe(CUSTOMER_CSV_COLUMNS.join(','));
  });

  it('walks every page by its Link headers: the same records, each once, in order', async () => {
    const pages: MockCustomer[][] = [];
    let url: string | undefined = `${source.url}?per_page=100`;
    while (url) {
      expect(new URL(url).origin).toBe(source.origin);
      const response: Response = await fetch(url, { headers: { 'X-API-Key': API_KEY } });
      expect(response.status).toBe(200);
      expect(response.headers.get('x-total-count')).toBe('2345');
      pages.push((await response.json()) as MockCustomer[]);
      url = nextLink(response.headers.get('link'));
    }
    expect(pages).toHaveLength(24);
    expect(pages.at(-1)).toHaveLength(45);
    const walked = pages.flat();
    expect(walked).toHaveLength(2345);
    expect(walked).toEqual(Array.from({ length: 2345 }, (_, i) => customerAt(9, i)));
  });
});

describe('mock source paging (inject)', () => {
  it('keeps the origin of the request Host in the next link, and sends none on the last page', async () => {
    const { app } = await buildMockSource({ count: 5, apiKey: API_KEY });
    const first = await app.inject({
      url: '/api/v1/customers?page=1&per_page=2',
      headers: { 'x-api-key': API_KEY, host: 'crm.example.test:8443' },
    });
    expect(first.headers.link).toBe(
      '<http://crm.example.test:8443/api/v1/customers?page=2&per_page=2>; rel="next"',
    );
    const last = await app.inject({
      url: '/api/v1/customers?page=3&per_page=2',
      headers: { 'x-api-key': API_KEY },
    });
    expect(JSON.parse(last.body)).toHaveLength(1);
    expect(last.headers.link).toBeUndefined();
    const beyond = await app.inject({ url: '/api/v1/customers?page=9', headers: { 'x-api-key': API_KEY } });
    expect(JSON.parse(beyond.body)).toEqual([]);
    await app.close();
  });

  it('defaults per_page to 100 and refuses more than 1000 with a field error', async () => {
    const { app } = await buildMockSource({ count: 250, apiKey: API_KEY });
    const page = await app.inject({ url: '/api/v1/customers?page=1', headers: { 'x-api-key': API_KEY } });
    expect(JSON.parse(page.body)).toHaveLength(100);
    const tooMany = await app.inject({
      url: '/api/v1/customers?per_page=1001',
      headers: { 'x-api-key': API_KEY },
    });
    expect(tooMany.statusCode).toBe(400);
    expect(JSON.parse(tooMany.body)).toEqual({
      error: 'validation_failed',
      errors: [{ field: 'per_page', message: 'must be <= 1000' }],
    });
    await app.close();
  });
});

describe('mock source: servers that make paging hard', () => {
  const get = (app: Awaited<ReturnType<typeof buildMockSource>>['app'], query: string) =>
    app.inject({ url: `/api/v1/customers?${query}`, headers: { 'x-api-key': API_KEY } });

  it('caps the page size whatever per_page or limit asks for, and links the next page as asked', async () => {
    const { app } = await buildMockSource({ count: 1050, apiKey: API_KEY, maxPageSize: 100 });
    const page = await get(app, 'page=2&per_page=500');
    expect(JSON.parse(page.body).map((c: MockCustomer) => c.customer_id)[0]).toBe('101');
    expect(JSON.parse(page.body)).toHaveLength(100);
    expect(page.headers['x-total-count']).toBe('1050');
    expect(nextLink(page.headers.link as string)).toMatch(/\?page=3&per_page=500$/);
    const byOffset = await get(app, 'offset=1000&limit=500');
    expect(JSON.parse(byOffset.body)).toHaveLength(50);
    expect(byOffset.headers.link).toBeUndefined();
    await app.close();
  });

  it('answers 404 {"detail":"Invalid page."} past the last page with an end status, as DRF does', async () => {
    const { app } = await buildMockSource({ count: 250, apiKey: API_KEY, endStatus: 404 });
    const last = await get(app, 'page=3&per_page=100');
    expect(JSON.parse(last.body)).toHaveLength(50);
    const beyond = await get(app, 'page=4&per_page=100');
    expect(beyond.statusCode).toBe(404);
    expect(JSON.parse(beyond.body)).toEqual({ detail: 'Invalid page.' });
    expect((await get(app, 'offset=250&limit=100')).statusCode).toBe(404);
    await app.close();
  });

  it('stops early while still announcing the whole data set with serveAtMost', async () => {
    const { app } = await buildMockSource({ count: 1050, apiKey: API_KEY, serveAtMost: 1000 });
    const last = await get(app, 'page=10&per_page=100');
    expect(last.headers['x-total-count']).toBe('1050');
    expect(last.headers.link).toBeUndefined();
    expect(JSON.parse((await get(app, 'page=11&per_page=100')).body)).toEqual([]);
    await app.close();
  });
});

describe('mock source faults', () => {
  it('injects the seeded share of 500/503 and 429 answers, the same for the same seed', async () => {
    const faults = { errorRate: 0.2, rateLimitedRate: 0.1 };
    const { app, stats } = await buildMockSource({ count: 1, apiKey: API_KEY, seed: 5, faults });
    const statuses: number[] = [];
    for (let i = 0; i < 300; i++) {
      const r = await app.inject({ url: '/api/v1/customers', headers: { 'x-api-key': API_KEY } });
      statuses.push(r.statusCode);
      if (r.statusCode === 429) expect(r.headers['retry-after']).toBe('1');
    }
    const injector = createFaultInjector(5, resolveFaults(faults));
    const expected = Array.from({ length: 300 }, () => {
      const d = injector.next();
      return d.kind === 'error' ? d.status : d.kind === 'rate_limited' ? 429 : 200;
    });
    expect(statuses).toEqual(expected);
    const errors = statuses.filter((s) => s >= 500).length;
    const limited = statuses.filter((s) => s === 429).length;
    expect(errors / 300).toBeGreaterThan(0.12);
    expect(errors / 300).toBeLessThan(0.28);
    expect(limited / 300).toBeGreaterThan(0.05);
    expect(limited / 300).toBeLessThan(0.15);
    expect(statuses.filter((s) => s === 500).length).toBeGreaterThan(0);
    expect(statuses.filter((s) => s === 503).length).toBeGreaterThan(0);
    expect(stats().injectedErrors).toBe(errors);
    expect(stats().rateLimited).toBe(limited);
    await app.close();
  });

  it('writes Retry-After as an HTTP-date when asked, never earlier than the asked seconds', async () => {
    const now = Date.UTC(2030, 0, 1, 12, 0, 0, 400);
    const { app } = await buildMockSource({
      apiKey: API_KEY,
      now: () => now,
      faults: { rateLimitedRate: 1, retryAfter: 'http-date', retryAfterSeconds: 30 },
    });
    const r = await app.inject({ url: '/api/v1/customers', headers: { 'x-api-key': API_KEY } });
    expect(r.statusCode).toBe(429);
    const date = Date.parse(String(r.headers['retry-after']));
    expect(date - now).toBeGreaterThanOrEqual(30_000);
    expect(r.headers['retry-after']).toBe('Tue, 01 Jan 2030 12:00:31 GMT');
    await app.close();
  });

  it('mixes both Retry-After forms in mixed mode', async () => {
    const { app } = await buildMockSource({
      apiKey: API_KEY,
      faults: { rateLimitedRate: 1, retryAfter: 'mixed' },
    });
    const forms = new Set<string>();
    for (let i = 0; i < 20; i++) {
      const r = await app.inject({ url: '/api/v1/customers', headers: { 'x-api-key': API_KEY } });
      forms.add(/^\d+$/.test(String(r.headers['retry-after'])) ? 'seconds' : 'date');
    }
    expect(forms).toEqual(new Set(['seconds', 'date']));
    await app.close();
  });

  it('rate-limits with a token bucket and reports RateLimit headers on every response', async () => {
    let now = 1_000_000;
    const { app } = await buildMockSource({
      count: 1,
      apiKey: API_KEY,
      now: () => now,
      faults: { requestsPerSecond: 2 },
    });
    const get = () => app.inject({ url: '/api/v1/customers', headers: { 'x-api-key': API_KEY } });
    const first = await get();
    expect(first.headers['ratelimit-limit']).toBe('2');
    expect(first.headers['ratelimit-remaining']).toBe('1');
    expect(first.headers['x-ratelimit-remaining']).toBe('1');
    expect((await get()).statusCode).toBe(200);
    const third = await get();
    expect(third.statusCode).toBe(429);
    expect(third.headers['retry-after']).toBe('1');
    expect(third.headers['ratelimit-remaining']).toBe('0');
    expect(third.headers['ratelimit-reset']).toBe('1');
    const docs = await app.inject({ url: '/openapi.json' });
    expect(docs.headers['ratelimit-limit']).toBe('2');
    now += 500;
    expect((await get()).statusCode).toBe(200);
    await app.close();
  });
});
