import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createMockApp, errorSchema, listenOn, validationFailedSchema } from './create-mock-app.ts';
import { randomCredential, sameSecret } from './credentials.ts';
import { type ChurnEvent, type ChurnMix, type CustomerBook, createCustomerBook } from './customer-book.ts';
import { CUSTOMERS_CSV_PATH, registerCustomerCsv } from './customer-csv.ts';
import type { MockCustomer } from './customer-data.ts';
import { customerSchema } from './customer-schema.ts';
import { CUSTOMERS_XML_PATH, registerCustomerXml } from './customer-xml.ts';
import { type FaultOptions, resolveFaults } from './fault-options.ts';
import { registerGraphql } from './graphql/register-graphql.ts';
import { GRAPHQL_PATH } from './graphql/schema.ts';
import { createRequestStats } from './request-stats.ts';
import { createTrafficGuards } from './traffic-guards.ts';

/** Options of the mock customer API. */
export interface MockSourceOptions {
  /** @default 0 (any free port) */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** Customers in the data set. @default 1000 */
  count?: number;
  /** Seed of the data set and of the fault draws. @default 42 */
  seed?: number;
  /** Expected X-API-Key value. @default a random key */
  apiKey?: string;
  faults?: FaultOptions;
  /** Log every request (pino). @default false */
  logger?: boolean;
  /** Clock in milliseconds, for the rate limiter and GraphQL's `updatedSince`. @default Date.now */
  now?: () => number;
  /**
   * Largest page served, whatever per_page or limit asked for, as GitHub caps per_page at 100: a larger
   * request silently gets fewer records. @default no cap (1000, the largest per_page accepted)
   */
  maxPageSize?: number;
  /**
   * Status answered for a page past the end (with `{"detail":"Invalid page."}`, as Django REST Framework
   * answers 404) instead of an empty page. @default none: `[]`
   */
  endStatus?: number;
  /**
   * Serves only the first N customers in paged responses while X-Total-Count still announces `count`:
   * a server that stops early without saying so. @default count
   */
  serveAtMost?: number;
  /**
   * Changes, adds and deletes customers while it runs, seeded: step k is the same for the same seed
   * whatever the timing (`churn(n)` on the handle applies steps at once). @default none
   */
  churn?: ChurnMix & {
    /** Steps a second; 0 applies none by itself. */
    readonly perSecond: number;
  };
}

/** Counters of the mock source. */
export interface SourceStats {
  requests: Record<string, Record<string, number>>;
  customersServed: number;
  rateLimited: number;
  injectedErrors: number;
  /** GraphQL requests answered with `data: null` and a retryable error (injected). */
  graphqlErrors: number;
  /** GraphQL requests answered with one customer null and an error at its path (injected). */
  graphqlPartials: number;
  /** Customers in the data set now, deleted ones included. */
  customers: number;
  /** Churn steps applied, by kind. */
  churned: { updated: number; added: number; deleted: number };
  /** When the first request arrived and each `route status` was last answered (ms since the epoch). */
  times: { firstArrivalAt: number | null; lastAnswered: Record<string, number> };
}

/** A mock source built but not listening: use `app.inject()` in tests. */
export interface MockSource {
  app: FastifyInstance;
  apiKey: string;
  count: number;
  seed: number;
  stats(): SourceStats;
  reset(): void;
  /** Applies the next `n` seeded churn steps now. */
  churn(n?: number): ChurnEvent[];
  /** Every customer as it stands now, in position order (what a full read returns). */
  customers(): MockCustomer[];
}

/** A running mock source. */
export interface MockSourceHandle {
  /** The customers endpoint, e.g. `http://127.0.0.1:40123/api/v1/customers`. */
  url: string;
  /** The GraphQL endpoint of the same data set, e.g. `http://127.0.0.1:40123/graphql`. */
  graphqlUrl: string;
  /** The same data set as one CSV file, e.g. `http://127.0.0.1:40123/api/v1/customers.csv` (`.gz` too). */
  csvUrl: string;
  /** The customers as XML, e.g. `http://127.0.0.1:40123/api/v1/customers.xml` (paged like the JSON listing). */
  xmlUrl: string;
  origin: string;
  apiKey: string;
  stats(): SourceStats;
  reset(): void;
  /** Applies the next `n` seeded churn steps now. */
  churn(n?: number): ChurnEvent[];
  /** Every customer as it stands now, in position order. */
  customers(): MockCustomer[];
  close(): Promise<void>;
}

/** Path of the customers endpoint. */
export const CUSTOMERS_PATH = '/api/v1/customers';
const DEFAULT_PER_PAGE = 100;
const MAX_PER_PAGE = 1000;
/** Records serialised per chunk when the whole array is streamed. */
const STREAM_CHUNK = 1000;

function checkCount(count: number): number {
  if (!Number.isSafeInteger(count) || count < 0)
    throw new RangeError(`count must be a whole number >= 0, got ${count}`);
  return count;
}

/** Streams the customers at `indices` as one JSON array, a chunk at a time. */
function* arrayChunks(book: CustomerBook, indices: Iterable<number>): Generator<string> {
  yield '[';
  let parts: string[] = [];
  let first = true;
  for (const index of indices) {
    parts.push(JSON.stringify(book.at(index)));
    if (parts.length === STREAM_CHUNK) {
      yield (first ? '' : ',') + parts.join(',');
      first = false;
      parts = [];
    }
  }
  if (parts.length > 0) yield (first ? '' : ',') + parts.join(',');
  yield ']';
}

function* upTo(n: number): Generator<number> {
  for (let i = 0; i < n; i++) yield i;
}

// RFC 3339 date-time, as incremental readers send it; Date.parse alone would accept "March 7".
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * Builds the mock customer API: GET /api/v1/customers (optional paging) and POST /graphql over the same
 * data set, both behind the API key and the same seeded faults.
 */
export async function buildMockSource(options: MockSourceOptions = {}): Promise<MockSource> {
  const count = checkCount(options.count ?? 1000);
  const seed = options.seed ?? 42;
  const apiKey = options.apiKey ?? randomCredential('src');
  const faults = resolveFaults(options.faults);
  const stats = createRequestStats();
  const now = options.now ?? Date.now;
  const maxPageSize = options.maxPageSize ?? MAX_PER_PAGE;
  if (!Number.isSafeInteger(maxPageSize) || maxPageSize < 1)
    throw new RangeError(`maxPageSize must be a whole number >= 1, got ${maxPageSize}`);
  if (options.endStatus !== undefined && !(options.endStatus >= 400 && options.endStatus <= 599))
    throw new RangeError(`endStatus must be a 4xx or 5xx status, got ${options.endStatus}`);
  const serveAtMost = checkCount(options.serveAtMost ?? Number.MAX_SAFE_INTEGER);
  const guards = createTrafficGuards({ seed, faults, stats, now });
  const perSecond = options.churn?.perSecond ?? 0;
  if (!Number.isFinite(perSecond) || perSecond < 0 || perSecond > 100_000)
    throw new RangeError(`churn.perSecond must be from 0 to 100000, got ${perSecond}`);
  const book = createCustomerBook({ seed, count, now, ...(options.churn ? { mix: options.churn } : {}) });
  const churned = { updated: 0, added: 0, deleted: 0 };
  const churn = (n = 1): ChurnEvent[] => {
    const events = book.churn(n);
    for (const event of events) churned[event.kind]++;
    return events;
  };
  const snapshot = (): SourceStats => ({
    requests: stats.requests(),
    customersServed: stats.counter('customersServed'),
    rateLimited: stats.counter('rateLimited'),
    injectedErrors: stats.counter('injectedErrors'),
    graphqlErrors: stats.counter('graphqlErrors'),
    graphqlPartials: stats.counter('graphqlPartials'),
    customers: book.size(),
    churned: { ...churned },
    times: stats.times(),
  });
  const reset = () => {
    stats.reset();
    guards.reset();
  };
  const app = await createMockApp({
    title: 'ferry mock customer API',
    description: 'A seeded customer data set with realistic dirt, API key auth, paging and fault injection.',
    logger: options.logger ?? false,
    securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' } },
    stats,
    adminStats: snapshot,
    adminReset: reset,
  });
  if (faults.requestsPerSecond > 0) {
    app.addHook('onSend', async (_request, reply, payload) => {
      if (!reply.hasHeader('ratelimit-limit')) guards.setRateLimitHeaders(reply);
      return payload;
    });
  }

  const isAuthorised = (request: FastifyRequest) => {
    const presented = request.headers['x-api-key'];
    return sameSecret(typeof presented === 'string' ? presented : undefined, apiKey);
  };
  const requireApiKey = async (request: FastifyRequest, reply: FastifyReply) => {
    if (isAuthorised(request)) return;
    return reply.code(401).send({ error: 'unauthorized', message: 'missing or wrong X-API-Key header' });
  };

  app.get(
    CUSTOMERS_PATH,
    {
      onRequest: [...guards.onRequest, requireApiKey],
      preValidation: guards.preValidation,
      schema: {
        tags: ['customers'],
        summary: 'List customers',
        description:
          'Without paging parameters: the whole data set as one JSON array (streamed). With page/per_page ' +
          'or offset/limit: one page, and an RFC 8288 `Link: <...>; rel="next"` header unless it is the last ' +
          'page. A server-side page-size cap may serve fewer records than asked for.',
        security: [{ apiKey: [] }],
        querystring: {
          type: 'object',
          properties: {
            page: { type: 'integer', minimum: 1, description: '1-based page number.' },
            per_page: { type: 'integer', minimum: 1, maximum: MAX_PER_PAGE },
            offset: { type: 'integer', minimum: 0, description: '0-based index of the first record.' },
            limit: { type: 'integer', minimum: 1, maximum: MAX_PER_PAGE, description: 'Records asked for.' },
            updated_since: {
              type: 'string',
              description:
                'RFC 3339 date-time: only the customers whose updated_at is at or after it, ascending by ' +
                'updated_at, then position (deleted ones too: they carry deleted_at). Paged, the next link ' +
                'continues after the last customer served (keyset), so customers changing during a read are ' +
                'never skipped; no X-Total-Count is sent.',
            },
            after: {
              type: 'integer',
              minimum: 0,
              description:
                'Keyset paging with updated_since, as the next link writes it: only the customers after the ' +
                'one at this position whose updated_at is updated_since.',
            },
          },
        },
        response: {
          200: {
            description: 'Customers (one page, or all of them; or those changed since updated_since)',
            type: 'array',
            items: customerSchema,
            headers: {
              Link: { type: 'string', description: 'RFC 8288 link to the next page (paged requests only).' },
              'X-Total-Count': {
                type: 'integer',
                description: 'Size of the data set (paged requests only).',
              },
            },
          },
          400: validationFailedSchema,
          401: errorSchema,
          404: {
            description: 'A page past the end, when the mock runs with an end status (DRF style)',
            type: 'object',
            properties: { detail: { type: 'string' } },
          },
          429: errorSchema,
          500: errorSchema,
          503: errorSchema,
        },
      },
    },
    async (request, reply) => {
      const query = request.query as {
        page?: number;
        per_page?: number;
        offset?: number;
        limit?: number;
        updated_since?: string;
        after?: number;
      };
      reply.type('application/json; charset=utf-8');
      const byOffset = query.offset !== undefined || query.limit !== undefined;
      const paged = byOffset || query.page !== undefined || query.per_page !== undefined;
      if (query.updated_since !== undefined) return changedSince(request, reply, query, byOffset, paged);
      if (query.after !== undefined) {
        return reply.code(400).send({
          error: 'validation_failed',
          errors: [{ field: 'after', message: 'is keyset paging: give updated_since with it' }],
        });
      }
      const size = book.size();
      if (!paged) {
        stats.add('customersServed', size);
        if (size <= STREAM_CHUNK) return [...arrayChunks(book, upTo(size))].join('');
        return reply.send(Readable.from(arrayChunks(book, upTo(size)), { objectMode: false }));
      }
      const served = Math.min(size, serveAtMost);
      const asked = (byOffset ? query.limit : query.per_page) ?? DEFAULT_PER_PAGE;
      const pageSize = Math.min(asked, maxPageSize);
      const page = query.page ?? 1;
      const first = byOffset ? (query.offset ?? 0) : (page - 1) * pageSize;
      if (options.endStatus !== undefined && first > 0 && first >= served) {
        // Any 4xx/5xx the caller picked; the route's schema only lists the 404 DRF answers.
        return reply.code(options.endStatus as 404).send({ detail: 'Invalid page.' });
      }
      const start = Math.min(served, first);
      const end = Math.min(served, start + pageSize);
      const parts: string[] = [];
      for (let i = start; i < end; i++) parts.push(JSON.stringify(book.at(i)));
      stats.add('customersServed', end - start);
      reply.header('X-Total-Count', String(size));
      if (end < served) {
        // Same origin as the request, so a client that only follows same-origin links keeps going.
        const next = byOffset ? `offset=${end}&limit=${asked}` : `page=${page + 1}&per_page=${asked}`;
        reply.header('Link', `<${request.protocol}://${request.host}${CUSTOMERS_PATH}?${next}>; rel="next"`);
      }
      return `[${parts.join(',')}]`;
    },
  );

  /**
   * The customers changed since `updated_since`, ascending by updated_at then position. Paged, the next link
   * is a keyset one (updated_since of the last customer served, after its position), so a customer that
   * changes during the read moves behind the cursor and is served again, never skipped; page or offset still
   * count within the ordered set, as a client building its own URLs expects.
   */
  function changedSince(
    request: FastifyRequest,
    reply: FastifyReply,
    query: {
      page?: number;
      per_page?: number;
      offset?: number;
      limit?: number;
      updated_since?: string;
      after?: number;
    },
    byOffset: boolean,
    paged: boolean,
  ) {
    const since = query.updated_since!;
    const sinceMs = RFC3339.test(since) ? Date.parse(since) : Number.NaN;
    if (Number.isNaN(sinceMs)) {
      return reply.code(400).send({
        error: 'validation_failed',
        errors: [
          {
            field: 'updated_since',
            message: `must be an RFC 3339 date-time such as 2026-01-31T09:00:00Z, got "${since.slice(0, 80)}"`,
          },
        ],
      });
    }
    const after = query.after === undefined ? undefined : { ms: sinceMs, index: query.after };
    const changed = book.changedSince(sinceMs, after);
    if (!paged) {
      const indices = Array.from(changed, (placed) => placed.index);
      stats.add('customersServed', indices.length);
      return reply.send(Readable.from(arrayChunks(book, indices), { objectMode: false }));
    }
    const asked = (byOffset ? query.limit : query.per_page) ?? DEFAULT_PER_PAGE;
    const pageSize = Math.min(asked, maxPageSize);
    let skip = byOffset ? (query.offset ?? 0) : ((query.page ?? 1) - 1) * pageSize;
    const page: { index: number; updatedAtMs: number }[] = [];
    let more = false;
    for (const placed of changed) {
      if (skip > 0) {
        skip--;
        continue;
      }
      if (page.length === pageSize) {
        more = true;
        break;
      }
      page.push(placed);
    }
    stats.add('customersServed', page.length);
    const last = page.at(-1);
    if (more && last !== undefined) {
      const size = byOffset ? `limit=${asked}` : `per_page=${asked}`;
      const next = `updated_since=${encodeURIComponent(new Date(last.updatedAtMs).toISOString())}&after=${last.index}&${size}`;
      reply.header('Link', `<${request.protocol}://${request.host}${CUSTOMERS_PATH}?${next}>; rel="next"`);
    }
    return `[${page.map((placed) => JSON.stringify(book.at(placed.index))).join(',')}]`;
  }

  registerGraphql(app, { book, stats, guards, isAuthorised });
  registerCustomerXml(app, {
    book,
    onRequest: [...guards.onRequest, requireApiKey],
    preValidation: guards.preValidation,
    served: (n) => stats.add('customersServed', n),
  });
  // The CSV export is the seeded data set as first served; churn changes only what the API serves.
  registerCustomerCsv(app, {
    seed,
    count,
    onRequest: [...guards.onRequest, requireApiKey],
    preValidation: guards.preValidation,
    served: (n) => stats.add('customersServed', n),
  });
  if (perSecond > 0) {
    // Steps fall due with the clock, so a slow tick catches up instead of drifting.
    const started = now();
    const timer = setInterval(
      () => {
        const due = Math.floor(((now() - started) * perSecond) / 1000) - book.steps();
        if (due > 0) churn(due);
      },
      Math.max(1, Math.min(250, 1000 / perSecond)),
    );
    timer.unref();
    app.addHook('onClose', async () => clearInterval(timer));
  }
  await app.ready();
  const customers = () => Array.from(upTo(book.size()), (index) => book.at(index));
  return { app, apiKey, count, seed, stats: snapshot, reset, churn, customers };
}

/** Starts the mock customer API on host:port (port 0 by default) and returns its URL and API key. */
export async function startMockSource(options: MockSourceOptions = {}): Promise<MockSourceHandle> {
  const source = await buildMockSource(options);
  const origin = await listenOn(source.app, options.host ?? '127.0.0.1', options.port ?? 0);
  return {
    url: `${origin}${CUSTOMERS_PATH}`,
    graphqlUrl: `${origin}${GRAPHQL_PATH}`,
    csvUrl: `${origin}${CUSTOMERS_CSV_PATH}`,
    xmlUrl: `${origin}${CUSTOMERS_XML_PATH}`,
    origin,
    apiKey: source.apiKey,
    stats: source.stats,
    reset: source.reset,
    churn: source.churn,
    customers: source.customers,
    close: () => source.app.close(),
  };
}
