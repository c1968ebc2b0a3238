import swagger, { type FastifyDynamicSwaggerOptions } from '@fastify/swagger';
import { Ajv2020 } from 'ajv/dist/2020.js';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import { toFieldErrors, type ValidationIssue } from './field-errors.ts';
import type { RequestStats } from './request-stats.ts';

type OpenApiDocument = NonNullable<FastifyDynamicSwaggerOptions['openapi']>;
/** Security schemes as @fastify/swagger takes them. */
export type SecuritySchemes = NonNullable<NonNullable<OpenApiDocument['components']>['securitySchemes']>;

/** What a mock server is, for its OpenAPI document and its admin endpoints. */
export interface MockAppOptions {
  title: string;
  description: string;
  /** Log every request with pino (off by default: the mocks serve benchmarks). */
  logger?: boolean;
  securitySchemes: SecuritySchemes;
  stats: RequestStats;
  adminStats: () => unknown;
  adminReset: () => void;
}

const errorBody = {
  type: 'object',
  required: ['error'],
  properties: { error: { type: 'string' }, message: { type: 'string' } },
} as const;

/** The `{error: "validation_failed", errors: [...]}` body of every 400 the mocks send for a bad request. */
export const validationFailedSchema = {
  type: 'object',
  required: ['error', 'errors'],
  properties: {
    error: { type: 'string', const: 'validation_failed' },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        required: ['field', 'message'],
        properties: { field: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
} as const;

/** The JSON error body the mocks send with 401, 404, 409, 429 and 5xx answers. */
export const errorSchema = errorBody;

/** A route as registered, for the test that keeps the OpenAPI document complete. */
export interface RegisteredRoute {
  method: string;
  url: string;
  hidden: boolean;
}

const registeredRoutes = new WeakMap<FastifyInstance, RegisteredRoute[]>();

/** Every route registered on a mock app (HEAD routes fastify adds by itself excluded). */
export function routesOf(app: FastifyInstance): readonly RegisteredRoute[] {
  return registeredRoutes.get(app) ?? [];
}

/**
 * A fastify instance with what both mocks share: strict JSON Schema 2020-12 validation of bodies (no
 * coercion, no stripping, all errors), field-level 400s, plain JSON.stringify serialisation (response
 * schemas only document), request counting, the OpenAPI 3.1 document and the admin endpoints.
 */
export async function createMockApp(options: MockAppOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: options.logger ?? false });
  const bodyAjv = new Ajv2020({ allErrors: true, strict: false, coerceTypes: false, useDefaults: false });
  const paramAjv = new Ajv2020({ allErrors: true, strict: false, coerceTypes: true, useDefaults: true });
  app.setValidatorCompiler(({ schema, httpPart }) =>
    (httpPart === 'body' ? bodyAjv : paramAjv).compile(schema as Record<string, unknown>),
  );
  const routes: RegisteredRoute[] = [];
  registeredRoutes.set(app, routes);
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const hidden = (route.schema as { hide?: boolean } | undefined)?.hide === true;
    for (const method of methods) if (method !== 'HEAD') routes.push({ method, url: route.url, hidden });
  });
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  app.setErrorHandler<FastifyError>((error, request, reply) => {
    if (error.validation) {
      options.stats.add('validationFailures');
      const root =
        error.validationContext === 'body' ? '(body)' : `(${error.validationContext ?? 'request'})`;
      return reply.code(400).send({
        error: 'validation_failed',
        errors: toFieldErrors(error.validation as unknown as ValidationIssue[], root),
      });
    }
    const status = error.statusCode ?? 500;
    if (status >= 500) {
      request.log.error({ err: error }, 'mock handler failed');
      return reply
        .code(500)
        .send({ error: 'internal_error', message: 'the mock failed to handle the request' });
    }
    return reply
      .code(status)
      .send({ error: (error.code ?? 'bad_request').toLowerCase(), message: error.message });
  });
  app.addHook('onRequest', (request, _reply, done) => {
    if (!request.url.startsWith('/__admin/')) options.stats.arrived();
    done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    options.stats.record(`${request.method} ${request.routeOptions.url ?? '*'}`, reply.statusCode);
    done();
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: options.title, description: options.description, version: '1.0.0' },
      components: { securitySchemes: options.securitySchemes },
    },
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  app.get(
    '/__admin/stats',
    {
      schema: {
        tags: ['admin'],
        summary: 'Counters for tests and benchmarks in other processes',
        response: { 200: { type: 'object', additionalProperties: true } },
      },
    },
    async () => options.adminStats(),
  );
  app.post(
    '/__admin/reset',
    {
      schema: {
        tags: ['admin'],
        summary: 'Forget stored data, counters and fault sequences (credentials stay)',
        response: { 204: { type: 'null' } },
      },
    },
    async (_request, reply) => {
      options.adminReset();
      return reply.code(204).send();
    },
  );
  return app;
}

/** Listens on host:port (0 = any free port) and returns the origin, e.g. `http://127.0.0.1:40123`. */
export async function listenOn(
  app: FastifyInstance,
  host: string,
  port: number,
  options: { readonly https?: boolean } = {},
): Promise<string> {
  await app.listen({ host, port });
  const scheme = options.https ? 'https' : 'http';
  const address = app.server.address();
  if (address === null || typeof address === 'string') return `${scheme}://${host}:${port}`;
  // A wildcard bind is reachable on loopback; print that rather than an address nobody can dial.
  const ip = address.address === '0.0.0.0' ? '127.0.0.1' : address.address === '::' ? '::1' : address.address;
  const name = address.family === 'IPv6' ? `[${ip}]` : ip;
  return `${scheme}://${name}:${address.port}`;
}
