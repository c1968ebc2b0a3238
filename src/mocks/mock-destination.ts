import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { capacityHook, createCapacityGate } from './capacity-gate.ts';
import { readClientCredentials } from './client-auth.ts';
import { createMockApp, errorSchema, listenOn, validationFailedSchema } from './create-mock-app.ts';
import { randomCredential, sameSecret } from './credentials.ts';
import { type FaultOptions, resolveFaults } from './fault-options.ts';
import { EXAMPLE_ORDER, loadOrderSchema, type MockOrder } from './order-schema.ts';
import { createOrderStore, type SavedResponse } from './order-store.ts';
import { createRandom, hashSeed } from './prng.ts';
import { createRequestStats } from './request-stats.ts';
import { createTokenStore } from './token-store.ts';
import { createTrafficGuards } from './traffic-guards.ts';
import { acceptXmlBodies } from './xml-bodies.ts';

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
  /** Requests answered 503 because more than twice the capacity were in flight (faults.capacity). */
  overloaded: number;
  /** The most order requests in flight at once, queued ones included (with faults.capacity; else 0). */
  peakInFlight: number;
  /** Order requests in flight integrated over time, request·ms (with faults.capacity; else 0). */
  inFlightMs: number;
  /** When the first request arrived and each `route status` was last answered (ms since the epoch). */
  times: { firstArrivalAt: number | null; lastAnswered: Record<string, number> };
  /** 400s for bodies or parameters that failed validation. */
  validationFailures: number;
  tokensIssued: number;
  /** PUTs that replaced an order. */
  updates: number;
  /** DELETEs that removed an order. */
  deletes: number;
  /** Writes refused with 412 because If-Match named another version. */
  preconditionFailed: number;
  /** PUTs and DELETEs delivered a second time, later (redeliverRate), and what became of them. */
  redelivered: number;
  redeliveredApplied: number;
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

function withoutId(schema: Record<string, unknown>): Record<string, unknown> {
  const { $id: _id, ...rest } = schema;
  return rest;
}

/** A strong ETag naming one stored version of an order. */
function etagOf(json: string): string {
  return `"${createHash('sha256').update(json).digest('hex').slice(0, 20)}"`;
}

/** If-Match holds a list of ETags; strong comparison, so a weak one never matches. */
function matchesEtag(ifMatch: string, current: string): boolean {
  return ifMatch.split(',').some((tag) => tag.trim() === current);
}

function headerOf(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

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
  const gate = faults.capacity > 0 ? createCapacityGate(faults.capacity) : undefined;
  const queueing = gate ? [capacityHook(gate, stats, faults.capacity)] : [];
  // Its own sequence, so enabling it never shifts the other faults' draws.
  let afterStoreDraws = createRandom(hashSeed(seed, 0x5707));
  // Token-endpoint faults draw from their own sequence so enabling them never shifts the orders' faults.
  const tokenGuards = faults.tokenEndpoint
    ? createTrafficGuards({ seed: seed ^ 0x70c3, faults: { ...faults, requestsPerSecond: 0 }, stats, now })
    : undefined;

  const snapshot = (): DestinationStats => {
    const stored = store.size();
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
      overloaded: stats.counter('overloaded'),
      peakInFlight: gate?.stats().peakInFlight ?? 0,
      inFlightMs: gate?.stats().inFlightMs ?? 0,
      times: stats.times(),
      validationFailures: stats.counter('validationFailures'),
      tokensIssued: tokens.issued(),
      updates: stats.counter('updates'),
      deletes: stats.counter('deletes'),
      preconditionFailed: stats.counter('preconditionFailed'),
      redelivered: stats.counter('redelivered'),
      redeliveredApplied: stats.counter('redeliveredApplied'),
    };
  };
  // Its own sequence too: which writes the network delivers again, later (a delayed or retried duplicate).
  let redeliverDraws = createRandom(hashSeed(seed, 0x2ede));
  const redeliveries = new Set<NodeJS.Timeout>();
  const reset = () => {
    store.reset();
    stats.reset();
    guards.reset();
    gate?.reset();
    afterStoreDraws = createRandom(hashSeed(seed, 0x5707));
    redeliverDraws = createRandom(hashSeed(seed, 0x2ede));
    for (const timer of redeliveries) clearTimeout(timer);
    redeliveries.clear();
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
  acceptXmlBodies(app, 'order');
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_request, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(body as string)));
    },
  );

  const idempotencyKeyOf = (request: FastifyRequest) =>
    honourIdempotency ? headerOf(request, 'idempotency-key') : undefined;

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
      onRequest: [...queueing, ...guards.onRequest, requireBearer],
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
        // Only a POST saves a response under a key its request (the body alone) can match.
        status = saved.status as 201 | 400 | 409;
        body = saved.body;
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
      if (status === 201) {
        reply.header('Location', `${ORDERS_PATH}/${encodeURIComponent(order.orderId)}`);
        reply.header('ETag', etagOf(body));
      }
      return reply.code(status).type(JSON_TYPE).send(body);
    },
  );

  app.get(
    `${ORDERS_PATH}/:orderId`,
    {
      onRequest: [...queueing, requireBearer],
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
      return reply.header('ETag', etagOf(found)).type(JSON_TYPE).send(found);
    },
  );

  /** A PUT or DELETE of one order, as it reached the server: applied now, or again later when redelivered. */
  interface Write {
    readonly method: 'PUT' | 'DELETE';
    readonly orderId: string;
    /** The new order (PUT). */
    readonly json?: string;
    readonly key: string | undefined;
    readonly ifMatch: string | undefined;
  }

  /** Applies a write: the idempotent replay, 404, 412 on another version, then the change itself. */
  const applyWrite = (write: Write): { status: number; body: string; etag?: string; replayed?: boolean } => {
    const request = `${write.method} ${write.orderId}\n${write.json ?? ''}`;
    const saved = write.key === undefined ? undefined : store.savedResponse(write.key);
    if (saved && saved.request !== request) {
      return {
        status: 422,
        body: JSON.stringify({
          error: 'idempotency_key_reused',
          message: 'this Idempotency-Key was used with a different request',
        }),
      };
    }
    if (saved) {
      stats.add('idempotentReplays');
      return { ...saved, replayed: true };
    }
    const existing = store.get(write.orderId);
    if (existing === undefined) {
      return {
        status: 404,
        body: JSON.stringify({ error: 'not_found', message: `no order ${write.orderId}` }),
      };
    }
    const current = etagOf(existing);
    if (write.ifMatch !== undefined && write.ifMatch.trim() !== '*' && !matchesEtag(write.ifMatch, current)) {
      stats.add('preconditionFailed');
      return {
        status: 412,
        body: JSON.stringify({
          error: 'precondition_failed',
          message: `If-Match ${write.ifMatch} does not match the order's current version ${current}`,
          etag: current,
        }),
        etag: current,
      };
    }
    let answer: SavedResponse;
    if (write.method === 'PUT') {
      store.replace(write.orderId, write.json!);
      stats.add('updates');
      answer = { status: 200, body: write.json!, request, etag: etagOf(write.json!) };
    } else {
      store.remove(write.orderId);
      stats.add('deletes');
      answer = { status: 204, body: '', request };
    }
    if (write.key !== undefined) store.saveResponse(write.key, answer);
    return answer;
  };

  /** Delivers a write a second time after redeliverDelayMs, as a network that duplicates and delays does. */
  const maybeRedeliver = (write: Write) => {
    if (faults.redeliverRate <= 0 || redeliverDraws() >= faults.redeliverRate) return;
    stats.add('redelivered');
    const timer = setTimeout(() => {
      redeliveries.delete(timer);
      const { status, replayed } = applyWrite(write);
      // A replay under its idempotency key changes nothing; only a write applied again counts.
      if ((status === 200 || status === 204) && !replayed) stats.add('redeliveredApplied');
    }, faults.redeliverDelayMs);
    timer.unref();
    redeliveries.add(timer);
  };

  const writeHeaders = {
    type: 'object',
    properties: {
      'idempotency-key': { type: 'string', minLength: 1, maxLength: 255, description: 'Idempotency key' },
      'if-match': {
        type: 'string',
        description: 'The ETag of the version this write replaces; another version is refused with 412',
      },
    },
  } as const;
  const orderParams = {
    type: 'object',
    required: ['orderId'],
    properties: { orderId: { type: 'string' } },
  } as const;
  const preconditionFailedSchema = {
    description: 'If-Match names another version than the current one',
    type: 'object',
    required: ['error', 'message', 'etag'],
    properties: {
      error: { type: 'string', const: 'precondition_failed' },
      message: { type: 'string' },
      etag: { type: 'string' },
    },
  };

  /** Sends what applyWrite decided, dropping the connection instead when this request drew a lost ack. */
  const answerWrite = (
    request: FastifyRequest,
    reply: FastifyReply,
    route: string,
    answer: ReturnType<typeof applyWrite>,
  ) => {
    if (guards.isLostAck(request)) {
      stats.add('lostAcks');
      stats.record(route, 'lost');
      reply.hijack();
      reply.raw.socket?.destroy();
      return reply;
    }
    if (answer.replayed) reply.header('Idempotent-Replayed', 'true');
    if (answer.etag !== undefined) reply.header('ETag', answer.etag);
    if (answer.status === 204) return reply.code(204).send();
    return reply.code(answer.status).type(JSON_TYPE).send(answer.body);
  };

  app.put(
    `${ORDERS_PATH}/:orderId`,
    {
      onRequest: [...guards.onRequest, requireBearer],
      preValidation: guards.preValidation,
      schema: {
        tags: ['orders'],
        summary: 'Replace an order',
        description:
          'The whole order, validated strictly as a POST; its orderId must be the one in the path. With If-Match, ' +
          'a write meant for another version than the current one is refused with 412 (the ETag of GET, POST and ' +
          'PUT responses names a version). A repeated Idempotency-Key replays the first response. An order that ' +
          'does not exist is not created (404). The same seeded faults as POST apply.',
        security: [{ oauth2: [] }],
        params: orderParams,
        headers: writeHeaders,
        // The same schema as POST's body, under no $id of its own: ajv holds one schema per id.
        body: withoutId(orderBodyForDocs()),
        response: {
          200: {
            description: 'The order as stored now',
            ...loadOrderSchema(),
            headers: { ETag: { type: 'string', description: 'The new version' } },
          },
          400: validationFailedSchema,
          401: errorSchema,
          404: errorSchema,
          412: preconditionFailedSchema,
          422: errorSchema,
          429: errorSchema,
          500: errorSchema,
          503: errorSchema,
        },
      },
    },
    async (request, reply) => {
      const { orderId } = request.params as { orderId: string };
      const order = request.body as MockOrder;
      if (order.orderId !== orderId) {
        stats.add('validationFailures');
        return reply.code(400).send({
          error: 'validation_failed',
          errors: [{ field: 'orderId', message: `must be ${orderId}, the orderId in the path` }],
        });
      }
      const write: Write = {
        method: 'PUT',
        orderId,
        json: JSON.stringify(order),
        key: idempotencyKeyOf(request),
        ifMatch: headerOf(request, 'if-match'),
      };
      const answer = applyWrite(write);
      maybeRedeliver(write);
      return answerWrite(request, reply, `PUT ${ORDERS_PATH}/:orderId`, answer);
    },
  );

  app.delete(
    `${ORDERS_PATH}/:orderId`,
    {
      onRequest: [...guards.onRequest, requireBearer],
      preValidation: guards.preValidation,
      schema: {
        tags: ['orders'],
        summary: 'Delete an order',
        description:
          'Removes the order (every copy, when duplicates are allowed). If-Match and Idempotency-Key as for PUT; ' +
          'an order that does not exist answers 404. The same seeded faults as POST apply.',
        security: [{ oauth2: [] }],
        params: orderParams,
        headers: writeHeaders,
        response: {
          204: { description: 'Deleted', type: 'null' },
          401: errorSchema,
          404: errorSchema,
          412: preconditionFailedSchema,
          422: errorSchema,
          429: errorSchema,
          500: errorSchema,
          503: errorSchema,
        },
      },
    },
    async (request, reply) => {
      const { orderId } = request.params as { orderId: string };
      const write: Write = {
        method: 'DELETE',
        orderId,
        key: idempotencyKeyOf(request),
        ifMatch: headerOf(request, 'if-match'),
      };
      const answer = applyWrite(write);
      maybeRedeliver(write);
      return answerWrite(request, reply, `DELETE ${ORDERS_PATH}/:orderId`, answer);
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

  app.addHook('onClose', async () => {
    for (const timer of redeliveries) clearTimeout(timer);
    redeliveries.clear();
  });
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
