import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, RouteHandler } from 'fastify';
import type { CustomerBook } from '../customer-book.ts';
import type { RequestStats } from '../request-stats.ts';
import type { Refusal, TrafficGuards } from '../traffic-guards.ts';
import { CUSTOMER_GRAPHQL_SDL, GRAPHQL_PATH, GRAPHQL_SDL_PATH } from './schema.ts';

/** What the GraphQL endpoint shares with the REST endpoints of the same server. */
export interface GraphqlRouteOptions {
  /** The data set as it stands, shared with the REST endpoint. */
  book: CustomerBook;
  stats: RequestStats;
  guards: TrafficGuards;
  /** The same API key check as the REST endpoints. */
  isAuthorised(request: FastifyRequest): boolean;
}

// Error codes as Apollo Server and most GraphQL clients know them.
const CODES: Record<string, string> = {
  unauthorized: 'UNAUTHENTICATED',
  rate_limited: 'RATE_LIMITED',
  internal_error: 'INTERNAL_SERVER_ERROR',
  service_unavailable: 'SERVICE_UNAVAILABLE',
};

/** GraphQL over HTTP: the new media type when the client accepts it, else the legacy application/json. */
function mediaType(request: FastifyRequest): string {
  const accept = request.headers.accept ?? '';
  return accept.includes('application/graphql-response+json')
    ? 'application/graphql-response+json; charset=utf-8'
    : 'application/json; charset=utf-8';
}

/** Answers with a GraphQL errors body and no data, as GraphQL over HTTP does for a failed request. */
function refuseAsGraphql(request: FastifyRequest, reply: FastifyReply, refusal: Refusal): FastifyReply {
  const code = CODES[refusal.error] ?? refusal.error.toUpperCase();
  return reply
    .code(refusal.status)
    .type(mediaType(request))
    .send({ errors: [{ message: refusal.message, extensions: { code } }] });
}

const responseDocs = {
  200: {
    description:
      'A GraphQL response: data, and errors when the request failed as a whole (data null) or in part.',
    type: 'object',
    properties: { data: { type: ['object', 'null'] }, errors: { type: 'array', items: { type: 'object' } } },
  },
  ...Object.fromEntries(
    [400, 401, 429, 500, 503].map((status) => [
      status,
      {
        description: 'A GraphQL errors body (errors[].extensions.code names the reason)',
        type: 'object',
        properties: { errors: { type: 'array', items: { type: 'object' } } },
      },
    ]),
  ),
};

/**
 * Registers the GraphQL customer API on the mock source's app: POST/GET /graphql behind the same API key,
 * rate limit, latency and seeded fault sequence as the REST endpoint, and the SDL at
 * GET /graphql/schema.graphql.
 */
export function registerGraphql(app: FastifyInstance, options: GraphqlRouteOptions): void {
  const hooks = options.guards.hooks(refuseAsGraphql);
  // graphql-js is loaded on the first GraphQL request, not when the server starts: the demo, the REST-only
  // tests and the benchmarks start the source too, and time-boxed tests count its start-up.
  let loaded: Promise<RouteHandler> | undefined;
  const handler: RouteHandler = async function (request, reply) {
    loaded ??= import('./graphql-handler.ts').then(({ createGraphqlHandler }) =>
      createGraphqlHandler(options),
    );
    return (await loaded).call(this, request, reply);
  };
  const requireApiKey = async (request: FastifyRequest, reply: FastifyReply) => {
    if (options.isAuthorised(request)) return;
    return refuseAsGraphql(request, reply, {
      status: 401,
      error: 'unauthorized',
      message: 'missing or wrong X-API-Key header',
    });
  };
  // Body parsing errors (malformed JSON, a media type fastify cannot parse) answer in GraphQL's shape too.
  const errorHandler = (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    const status = error.statusCode !== undefined && error.statusCode < 500 ? error.statusCode : 500;
    if (status === 500) request.log.error({ err: error }, 'mock GraphQL handler failed');
    const message = status === 500 ? 'the mock failed to handle the request' : error.message;
    return refuseAsGraphql(request, reply, {
      status,
      error: status === 500 ? 'internal_error' : 'bad_request',
      message,
    });
  };
  const shared = {
    onRequest: [...hooks.onRequest, requireApiKey],
    preValidation: hooks.preValidation,
    errorHandler,
    // graphql-http checks the request itself, the GraphQL-over-HTTP way; the schema only documents it.
    validatorCompiler: () => () => true,
  };
  const security = [{ apiKey: [] }];
  const description = `The customer data set over GraphQL. Schema (SDL) at ${GRAPHQL_SDL_PATH}.`;

  app.post(
    GRAPHQL_PATH,
    {
      ...shared,
      schema: {
        tags: ['graphql'],
        summary: 'GraphQL query',
        description,
        security,
        body: {
          type: 'object',
          required: ['query'],
          properties: {
            query: { type: 'string' },
            variables: { type: ['object', 'null'] },
            operationName: { type: ['string', 'null'] },
          },
        },
        response: responseDocs,
      },
    },
    handler,
  );
  app.get(
    GRAPHQL_PATH,
    {
      ...shared,
      schema: {
        tags: ['graphql'],
        summary: 'GraphQL query over GET (queries only)',
        description,
        security,
        querystring: {
          type: 'object',
          required: ['query'],
          properties: {
            query: { type: 'string' },
            variables: { type: 'string', description: 'JSON-encoded' },
            operationName: { type: 'string' },
          },
        },
        response: responseDocs,
      },
    },
    handler,
  );
  app.get(
    GRAPHQL_SDL_PATH,
    {
      schema: {
        tags: ['graphql'],
        summary: 'The GraphQL schema (SDL); no API key needed, like /openapi.json',
        response: {
          200: { description: 'GraphQL SDL', content: { 'text/plain': { schema: { type: 'string' } } } },
        },
      },
    },
    async (_request, reply) => reply.type('text/plain; charset=utf-8').send(CUSTOMER_GRAPHQL_SDL),
  );
}
