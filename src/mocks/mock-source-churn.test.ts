import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createCustomerBook } from './customer-book.ts';
import { customerAt, type MockCustomer, SEEDED_FROM_MS } from './customer-data.ts';
import { buildMockSource, type MockSource } from './mock-source.ts';

const API_KEY = 'churn-key';
const at = (seconds: number) => new Date(SEEDED_FROM_MS + seconds * 1000).toISOString();

const opened: FastifyInstance[] = [];
afterEach(async () => {
  for (const app of opened.splice(0)) await app.close();
});

async function source(options: Parameters<typeof buildMockSource>[0] = {}): Promise<MockSource> {
  const built = await buildMockSource({ apiKey: API_KEY, ...options });
  opened.push(built.app);
  return built;
}

async function get(app: FastifyInstance, query: string) {
  const response = await app.inject({
    method: 'GET',
    url: `/api/v1/customers${query}`,
    headers: { 'x-api-key': API_KEY },
  });
  return {
    status: response.statusCode,
    headers: response.headers,
    body: JSON.parse(response.body) as unknown,
  };
}

/** Follows the next links from `query`, calling `between` after each page. */
async function walk(app: FastifyInstance, query: string, between: () => void = () => {}) {
  const seen: MockCustomer[] = [];
  let next: string | undefined = query;
  while (next !== undefined) {
    const page = await get(app, next);
    expect(page.status).toBe(200);
    seen.push(...(page.body as MockCustomer[]));
    next = (page.headers.link as string | undefined)?.match(/<[^>]*?(\?[^>]+)>;\s*rel="next"/)?.[1];
    if (next !== undefined) between();
  }
  return seen;
}

describe('the customer data set over time', () => {
  it('stamps seeded customers three a second, and churns the same way for the same seed', () => {
    expect(customerAt(1, 0).updated_at).toBe(at(0));
    expect(customerAt(1, 7).updated_at).toBe(at(2));
    let clock = SEEDED_FROM_MS + 86_400_000;
    const books = [1, 2].map(() => createCustomerBook({ seed: 5, count: 100, now: () => clock }));
    const events = books.map((book) => book.churn(200));
    expect(events[0]).toEqual(events[1]);
    const kinds = new Set(events[0]!.map((e) => e.kind));
    expect(kinds).toEqual(new Set(['updated', 'added', 'deleted']));
    clock += 1;
    for (let i = 0; i < books[0]!.size(); i++) expect(books[0]!.at(i)).toEqual(books[1]!.at(i));
    // Churned updated_at values are strictly increasing and later than every seeded one.
    const stamps = events[0]!.map((e) => e.updatedAt);
    expect([...stamps].sort()).toEqual(stamps);
    expect(new Set(stamps).size).toBe(stamps.length);
  });

  it('never lists two versions of one customer id: churn on a seeded repeat changes the customer it repeats', () => {
    const clock = SEEDED_FROM_MS + 86_400_000;
    const book = createCustomerBook({ seed: 4242, count: 600, now: () => clock });
    book.churn(2000);
    const versionsById = new Map<string, Set<string>>();
    for (let i = 0; i < book.size(); i++) {
      const customer = book.at(i);
      const id = String(customer.customer_id ?? '');
      if (id === '') continue;
      versionsById.set(id, (versionsById.get(id) ?? new Set()).add(JSON.stringify(customer)));
    }
    const ambiguous = [...versionsById].filter(([, versions]) => versions.size > 1).map(([id]) => id);
    expect(ambiguous).toEqual([]);
    // The incremental listing shows each changed customer once.
    const listed = [...book.changedSince(clock - 1)].map(({ index }) => String(book.at(index).customer_id));
    expect(new Set(listed).size).toBe(listed.length);
  });

  it('serves updated_since inclusive, ascending by updated_at then position, deletions included', async () => {
    const mock = await source({ count: 30, seed: 3, now: () => SEEDED_FROM_MS + 3_600_000 });
    const first = await get(mock.app, `?updated_since=${encodeURIComponent(at(8))}`);
    expect(first.headers['x-total-count']).toBeUndefined();
    expect((first.body as MockCustomer[]).map((c) => c.updated_at)).toEqual(
      [24, 25, 26, 27, 28, 29].map((i) => at(Math.floor(i / 3))),
    );
    const changed = mock.churn(1)[0]!;
    const again = (await get(mock.app, `?updated_since=${encodeURIComponent(at(8))}`)).body as MockCustomer[];
    expect(again.at(-1)?.updated_at).toBe(changed.updatedAt);
    expect(again.filter((c) => c.updated_at === changed.updatedAt)).toHaveLength(1);
    // A deleted customer is still listed, with deleted_at.
    const events = mock.churn(40);
    // A deletion no later step of the 40 overwrote.
    const deleted = events.find(
      (e, i) => e.kind === 'deleted' && !events.slice(i + 1).some((l) => l.index === e.index),
    )!;
    const listed = (await get(mock.app, `?updated_since=${encodeURIComponent(deleted.updatedAt)}`))
      .body as MockCustomer[];
    expect(listed[0]).toMatchObject({ deleted_at: deleted.updatedAt, updated_at: deleted.updatedAt });
  });

  it('pages updated_since with keyset links that skip no customer changing during the read', async () => {
    let clock = SEEDED_FROM_MS + 3_600_000;
    const mock = await source({ count: 500, seed: 8, now: () => clock });
    const since = at(10);
    // Between every two pages, ten customers change (or come, or go): some were read already, some not yet.
    const read = await walk(mock.app, `?updated_since=${encodeURIComponent(since)}&per_page=50`, () => {
      clock += 1000;
      mock.churn(10);
    });
    expect(mock.stats().churned.updated).toBeGreaterThan(0);
    // Every customer changed since `since` was served as it stands at the end of the read.
    const served = new Set(read.map((c) => JSON.stringify(c)));
    const due = mock.customers().filter((c) => c.updated_at! >= since);
    expect(due.filter((c) => !served.has(JSON.stringify(c)))).toEqual([]);
    const versions = read.map((c) => c.updated_at!);
    expect([...versions].sort()).toEqual(versions);
  });

  it('refuses a malformed updated_since, and after without it', async () => {
    const mock = await source({ count: 5 });
    const bad = await get(mock.app, '?updated_since=yesterday');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: 'validation_failed', errors: [{ field: 'updated_since' }] });
    expect((await get(mock.app, '?after=3')).status).toBe(400);
  });

  it('churns at the rate asked while it runs', async () => {
    const mock = await source({ count: 10, churn: { perSecond: 1000 } });
    await vi.waitFor(() =>
      expect(mock.stats().churned.updated + mock.stats().churned.added).toBeGreaterThan(20),
    );
    expect(mock.stats().customers).toBeGreaterThan(10);
  });
});
