import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { readClientCredentials } from './client-auth.ts';
import { createMockApp, errorSchema, listenOn, validationFailedSchema } from './create-mock-app.ts';
import { randomCredential, sameSecret } from './credentials.ts';
import { type FaultOptions, resolveFaults } from './fault-options.ts';
import { EXAMPLE_ORDER, loadOrderSchema, type MockOrder } from './order-schema.ts';
import { createOrderStore } from './order-store.ts';
import { createRandom, hashSeed } from './prng.ts';
import { createRequestStats } from './request-stats.ts';
import { createTokenStore } from './token-store.ts';
import { createTrafficGuards } from './traffic-guards.ts';

/** Options of the mock order API. */
export interface MockDestinationOptions {
  /** @default 0 (any free port) */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** @default a random id */
  clientId?: string;
  /** @default a random secret */
  clientSecret?: string;
  /** Lifetime of issued access tokens. @default 3600 */
  tokenTtlSeconds?: number;
  /** Replay the stored response for a repeated Idempotency-Key. @default true */
  honourIdempotency?: boolean;
  /** Store a second order with the same orderId instead of answering 409. @default false */
  allowDuplicates?: boolean;
  /**
   * Keep a 400 under its Idempotency-Key too, as APIs that keep a key's first answer whatever it was do,
   * so the key is refused with any other body (`idempotency_key_reused`) even after the body was fixed.
   * @default false
   */
  saveRejections?: boolean;
  /** Seed of the fault draws. @default 42 */
  seed?: number;
  faults?: FaultOptions;
  /** Log every request (pino). @default false */
  logger?: boolean;
  /** Clock in milliseconds, for token expiry and the rate limiter. @default Date.now */
  now?: () => number;
}

/** Counters of the mock destination (also served at GET /__admin/stats). */
export interface DestinationStats {
  /** Answered requests by `METHOD /route` and status; a dropped acknowledgement counts as `lost`. */
  requests: Record<string, Record<string, number>>;
  /** Orders stored, duplicates included. */
  ordersStored: number;
  distinctOrderIds: number;
  /** ordersStored - distinctOrderIds: orders stored more than once (lookup-only mode). */
  duplicates: number;
  /** Requests answered 409 duplicate_order. */
  conflicts: number;
  /** Responses replayed for a repeated Idempotency-Key. */
  idempotentReplays: number;
  /** 429s sent, injected and from the rate limit. */
  rateLimited: number;
  /** Injected 500s and 503s. */
  injectedErrors: number;
  /** Responses dropped after the handler ran (the order was stored). */
  lostAcks: number;
  /** Orders stored and then answered 500 (errorAfterStoreRate). */
  errorsAfterStore: number;
  /** 400s for bodies or parameters that failed validation. */
  validationFailures: number;
  tokensIssued: number;
}

/** A mock destination built but not listening: use `app.inject()` in tests. */
export interface MockDestination {
  app: FastifyInstance;
  clientId: string;
  clientSecret: string;
  stats(): DestinationStats;
  orders(): MockOrder[];
  reset(): void;
}

/** A running mock destination. */
export interface MockDestinationHandle {
  /** e.g. `http://127.0.0.1:40123/api/v2/orders`. */
  ordersUrl: string;
  /** e.g. `http://127.0.0.1:40123/oauth/token`. */
  tokenUrl: string;
  origin: string;
  clientId: string;
  clientSecret: string;
  stats(): DestinationStats;
  /** Every stored order in arrival order, duplicates included. */
  orders(): MockOrder[];
  /** Forgets orders, saved responses, counters and fault sequences; credentials and tokens stay valid. */
  reset(): void;
  close(): Promise<void>;
}

/** Path of the orders endpoint. */
export const ORDERS_PATH = '/api/v2/orders';
/** Path of the token endpoint. */
export const TOKEN_PATH = '/oauth/token';
const ORDERS_ROUTE = `POST ${ORDERS_PATH}`;
const REALM = 'ferry-mock';
const JSON_TYPE = 'application/json; charset=utf-8';

const orderBodyForDocs = (): Record<string, unknown> => ({ ...loadOrderSchema(), examples: [EXAMPLE_ORDER] });

function bearerToken(header: string | undefined): string | undefined {
  const match = header?.match(/^Bearer\s+(\S+)\s*$/i);
  return match?.[1];
}

/**
 * Builds the mock order API: OAuth 2.0 client credentials at /oauth/token, strict validation of
 * POST /api/v2/orders against order.schema.json, 409 on a duplicate orderId, Idempotency-Key replay,
 * lookups and a listing, and seeded faults (errors, 429s, latency, a rate limit, lost acknowledgements).
 */
export async function buildMockDestination(options: MockDestinationOptions = {}): Promise<MockDestination> {
  const clientId = options.clientId ?? randomCredential('client', 9);
  const clientSecret = options.clientSecret ?? randomCredential('secret');
  const ttl = options.tokenTtlSeconds ?? 3600;
  if (!Number.isFinite(ttl) || ttl <= 0) throw new RangeError(`tokenTtlSeconds must be > 0, got ${ttl}`);
  const honourIdempotency = options.honourIdempotency ?? true;
  const allowDuplicates = options.allowDuplicates ?? false;
  const saveRejections = options.saveRejections ?? false;
  const seed = options.seed ?? 42;
  const faults = resolveFaults(options.faults);
  const now = options.now ?? Date.now;
  const stats = createRequestStats();
  const store = createOrderStore();
  const tokens = createTokenStore(ttl, now);
  const guards = createTrafficGuards({ seed, faults, stats, now, lostAcks: true });
  // Its own sequence, so enabling it never shifts the other faults' draws.
  let afterStoreDraws = createRandom(hashSeed(seed, 0x5707));
  // Token-endpoint faults draw from their own sequence so enabling them never shifts the orders' faults.
  const tokenGuards = faults.tokenEndpoint
    ? createTrafficGuards({ seed: seed ^ 0x70c3, faults: { ...faults, requestsPerSecond: 0 }, stats, now })
    : undefined;

  const snapshot = (): DestinationStats => {
    const stored = store.all().length;
    return {
      requests: stats.requests(),
      ordersStored: stored,
      distinctOrderIds: store.distinct(),
      duplicates: stored - store.distinct(),
      conflicts: stats.counter('conflicts'),
      idempotentReplays: stats.counter('idempotentReplays'),
      rateLimited: stats.counter('rateLimited'),
      injectedErrors: stats.counter('injectedErrors'),
      lostAcks: stats.counter('lostAcks'),
      errorsAfterStore: stats.counter('errorsAfterStore'),
      validationFailures: stats.counter('validationFailures'),
      tokensIssued: tokens.issued(),
    };
  };
  const reset = () => {
    store.reset();
    stats.reset();
    guards.reset();
    afterStoreDraws = createRandom(hashSeed(seed, 0x5707));
    tokenGuards?.reset();
  };

  const app = await createMockApp({
    title: 'ferry mock order API',
    description:
      'Takes orders with OAuth 2.0 client credentials; strict validation, 409 on duplicates, Idempotency-Key ' +
      'replay, and seeded faults (errors, 429s, latency, rate limit, lost acknowledgements).',
    logger: options.logger ?? false,
    securitySchemes: {
      oauth2: { type: 'oauth2', flows: { clientCredentials: { tokenUrl: TOKEN_PATH, scopes: {} } } },
    },
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
  if (saveRejections) {
    app.addHook('onSend', async (request, reply, payload) => {
      const key = request.headers['idempotency-key'];
      if (
        reply.statusCode === 400 &&
        request.method === 'POST' &&
        request.routeOptions.url === ORDERS_PATH &&
        typeof key === 'string' &&
        key !== '' &&
        typeof payload === 'string' &&
        store.savedResponse(key) === undefined
      ) {
        store.saveResponse(key, { status: 400, body: payload, request: JSON.stringify(request.body) });
      }
      return payload;
    });
  }
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    },
  );

  const requireBearer = async (request: FastifyRequest, reply: FastifyReply) => {
    const problem = tokens.check(bearerToken(request.headers.authorization));
    if (problem === null) return;
    const description = `${problem === 'missing' ? 'no' : problem} bearer token`;
    reply.header(
      'WWW-Authenticate',
      `Bearer realm="${REALM}", error="invalid_token", error_description="${description}"`,
    );
    return reply.code(401).send({ error: 'invalid_token', error_description: description });
  };

  app.post(
    TOKEN_PATH,
    {
      onRequest: tokenGuards?.onRequest ?? [],
      preValidation: tokenGuards?.preValidation ?? [],
      // The body schema only documents: OAuth errors (invalid_request, unsupported_grant_type) come from the
      // handler, as RFC 6749 words them, not as field-level validation errors.
      validatorCompiler: () => () => true,
      schema: {
        tags: ['oauth'],
        summary: 'Issue an access token (OAuth 2.0 client credentials grant)',
        description:
          'Client authentication by client_secret_basic (Authorization: Basic) or client_secret_post.',
        consumes: ['application/x-www-form-urlencoded', 'application/json'],
        body: {
          type: 'object',
          properties: {
            grant_type: { type: 'string', description: 'Must be client_credentials' },
            scope: { type: 'string' },
            client_id: { type: 'string' },
            client_secret: { type: 'string' },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['access_token', 'token_type', 'expires_in'],
            properties: {
              access_token: { type: 'string' },
              token_type: { type: 'string', const: 'Bearer' },
              expires_in: { type: 'integer' },
              scope: { type: 'string' },
            },
          },
          400: errorSchema,
          401: errorSchema,
        },
      },
    },
    async (request, reply) => {
      const body = (request.body ?? {}) as Record<string, unknown>;
      reply.header('Cache-Control', 'no-store').header('Pragma', 'no-cache');
      const credentials = readClientCredentials(request.headers.authorization, body);
      if (!credentials.ok) {
        if (credentials.error === 'invalid_client')
          reply.header('WWW-Authenticate', `Basic realm="${REALM}"`);
        return reply
          .code(credentials.error === 'invalid_client' ? 401 : 400)
          .send({ error: credentials.error, error_description: credentials.description });
      }
      if (
        !sameSecret(credentials.clientId, clientId) ||
        !sameSecret(credentials.clientSecret, clientSecret)
      ) {
        reply.header('WWW-Authenticate', `Basic realm="${REALM}"`);
        return reply
          .code(401)
          .send({ error: 'invalid_client', error_description: 'unknown client or wrong secret' });
      }
      if (body.grant_type === undefined)
        return reply
          .code(400)
          .send({ error: 'invalid_request', error_description: 'grant_type is required' });
      if (body.grant_type !== 'client_credentials')
        return reply
          .code(400)
          .send({ error: 'unsupported_grant_type', error_description: 'only client_credentials' });
      const scope = typeof body.scope === 'string' && body.scope !== '' ? body.scope : undefined;
      const issued = tokens.issue(scope);
      return {
        access_token: issued.token,
        token_type: 'Bearer',
        expires_in: issued.expiresIn,
        ...(scope === undefined ? {} : { scope }),
      };
    },
  );

  app.post(
    ORDERS_PATH,
    {
      onRequest: [...guards.onRequest, requireBearer],
      preValidation: guards.preValidation,
      schema: {
        tags: ['orders'],
        summary: 'Create an order',
        description:
          'Validated strictly against order.schema.json. A repeated Idempotency-Key replays the first ' +
          'response (status and body) without creating anything; a 400 is not saved (unless the mock runs with ' +
          'saveRejections), so a fixed body can ' +
          'be sent again with the same key.',
        security: [{ oauth2: [] }],
        headers: {
          type: 'object',
          properties: {
            'idempotency-key': {
              type: 'string',
              minLength: 1,
              maxLength: 255,
              description: 'Idempotency key',
            },
          },
        },
        body: orderBodyForDocs(),
        response: {
          201: { description: 'The stored order', ...loadOrderSchema() },
          400: validationFailedSchema,
          401: errorSchema,
          409: {
            description: 'An order with this orderId exists',
            type: 'object',
            required: ['error', 'orderId', 'existing'],
            properties: {
              error: { type: 'string', const: 'duplicate_order' },
              orderId: { type: 'string' },
              existing: { type: 'object' },
            },
          },
          422: errorSchema,
          429: errorSchema,
          500: errorSchema,
          503: errorSchema,
        },
      },
    },
    async (request, reply) => {
      const order = request.body as MockOrder;
      const json = JSON.stringify(order);
      const rawKey = request.headers['idempotency-key'];
      const key = honourIdempotency && typeof rawKey === 'string' && rawKey !== '' ? rawKey : undefined;
      let status: 201 | 400 | 409;
      let body: string;
      const saved = key === undefined ? undefined : store.savedResponse(key);
      if (saved && saved.request !== json) {
        return reply.code(422).send({
          error: 'idempotency_key_reused',
          message: 'this Idempotency-Key was used with a different body',
        });
      }
      if (saved) {
        stats.add('idempotentReplays');
        reply.header('Idempotent-Replayed', 'true');
        ({ status, body } = saved);
      } else {
        const existing = allowDuplicates ? undefined : store.get(order.orderId);
        if (existing !== undefined) {
          stats.add('conflicts');
          status = 409;
          body = `{"error":"duplicate_order","orderId":${JSON.stringify(order.orderId)},"existing":${existing}}`;
        } else {
          store.add(order.orderId, json);
          status = 201;
          body = json;
        }
        if (key !== undefined) store.saveResponse(key, { status, body, request: json });
      }
      if (guards.isLostAck(request)) {
        stats.add('lostAcks');
        stats.record(ORDERS_ROUTE, 'lost');
        reply.hijack();
        reply.raw.socket?.destroy();
        return reply;
      }
      if (status === 201 && !saved && faults.errorAfterStoreRate > 0) {
        if (afterStoreDraws() < faults.errorAfterStoreRate) {
          stats.add('errorsAfterStore');
          stats.add('injectedErrors');
          return reply.code(500).send({ error: 'internal_error', message: 'injected fault after storing' });
        }
      }
      if (status === 201) reply.header('Location', `${ORDERS_PATH}/${encodeURIComponent(order.orderId)}`);
      return reply.code(status).type(JSON_TYPE).send(body);
    },
  );

  app.get(
    `${ORDERS_PATH}/:orderId`,
    {
      onRequest: requireBearer,
      schema: {
        tags: ['orders'],
        summary: 'Look up an order by orderId',
        security: [{ oauth2: [] }],
        params: { type: 'object', required: ['orderId'], properties: { orderId: { type: 'string' } } },
        response: {
          200: { description: 'The order', ...loadOrderSchema() },
          401: errorSchema,
          404: errorSchema,
        },
      },
    },
    async (request, reply) => {
      const { orderId } = request.params as { orderId: string };
      const found = store.get(orderId);
      if (found === undefined)
        return reply.code(404).send({ error: 'not_found', message: `no order ${orderId}` });
      return reply.type(JSON_TYPE).send(found);
    },
  );

  app.get(
    ORDERS_PATH,
    {
      onRequest: requireBearer,
      schema: {
        tags: ['orders'],
        summary:
          'List stored orders in arrival order (duplicates included), paged; ?orderId= lists only the orders with that id (an empty list when there is none)',
        security: [{ oauth2: [] }],
        querystring: {
          type: 'object',
          properties: {
            page: { type: 'integer', minimum: 1 },
            per_page: { type: 'integer', minimum: 1, maximum: 1000 },
            orderId: { type: 'string', description: 'Only orders with this orderId' },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['total', 'distinct', 'page', 'per_page', 'orders'],
            properties: {
              total: { type: 'integer', description: 'Orders stored, duplicates included' },
              distinct: { type: 'integer', description: 'Distinct orderIds' },
              page: { type: 'integer' },
              per_page: { type: 'integer' },
              orders: { type: 'array', items: loadOrderSchema() },
            },
            headers: { Link: { type: 'string', description: 'RFC 8288 link to the next page' } },
          },
          400: validationFailedSchema,
          401: errorSchema,
        },
      },
    },
    async (request, reply) => {
      const query = request.query as { page?: number; per_page?: number; orderId?: string };
      const page = query.page ?? 1;
      const perPage = query.per_page ?? 100;
      const all = query.orderId === undefined ? store.all() : store.find(query.orderId);
      const start = Math.min(all.length, (page - 1) * perPage);
      const end = Math.min(all.length, start + perPage);
      reply.header('X-Total-Count', String(all.length));
      if (end < all.length) {
        const filter = query.orderId === undefined ? '' : `&orderId=${encodeURIComponent(query.orderId)}`;
        const next = `${request.protocol}://${request.host}${ORDERS_PATH}?page=${page + 1}&per_page=${perPage}${filter}`;
        reply.header('Link', `<${next}>; rel="next"`);
      }
      return reply
        .type(JSON_TYPE)
        .send(
          `{"total":${all.length},"distinct":${query.orderId === undefined ? store.distinct() : Math.min(1, all.length)},"page":${page},"per_page":${perPage},` +
            `"orders":[${all.slice(start, end).join(',')}]}`,
        );
    },
  );

  await app.ready();
  return {
    app,
    clientId,
    clientSecret,
    stats: snapshot,
    orders: () => store.all().map((json) => JSON.parse(json) as MockOrder),
    reset,
  };
}

/** Starts the mock order API on host:port (port 0 by default) and returns its URLs and client credentials. */
export async function startMockDestination(
  options: MockDestinationOptions = {},
): Promise<MockDestinationHandle> {
  const destination = await buildMockDestination(options);
  const origin = await listenOn(destination.app, options.host ?? '127.0.0.1', options.port ?? 0);
  return {
    ordersUrl: `${origin}${ORDERS_PATH}`,
    tokenUrl: `${origin}${TOKEN_PATH}`,
    origin,
    clientId: destination.clientId,
    clientSecret: destination.clientSecret,
    stats: destination.stats,
    orders: destination.orders,
    reset: destination.reset,
    close: () => destination.app.close(),
  };
}
