import { z } from 'zod';
import { components } from './api-schemas.ts';

/** What the OpenAPI document says of one response. */
export interface ResponseSpec {
  readonly description: string;
  /** A JSON body of this shape (a component, referenced by name, or inline). */
  readonly schema?: z.ZodType;
  /** Other media types, each a text body. */
  readonly text?: readonly string[];
}

/** One operation of the API, as the document describes it. */
export interface OperationSpec {
  readonly method: 'GET' | 'POST';
  /** fastify's form: `/api/runs/:id`. */
  readonly url: string;
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  readonly tag: string;
  readonly params?: z.ZodObject;
  readonly query?: z.ZodObject;
  readonly body?: z.ZodType;
  readonly success: { readonly status: number } & ResponseSpec;
  /** Error statuses it can answer besides 401 and 403 (which every operation can). */
  readonly errors: readonly number[];
}

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'The request is malformed; the message names the parameter.',
  401: 'Not signed in: send the bearer token, or sign in on the pages.',
  403: 'Refused: a foreign Host or Origin, or no valid CSRF token on a POST.',
  404: 'No such integration, run, record or dead letter.',
  409: 'The integration is running or replaying already.',
  503: 'Too many event streams are open.',
};

const REF = '#/components/schemas/';

function refOf(schema: z.ZodType): string | undefined {
  const entry = Object.entries(components).find(([, s]) => s === schema);
  return entry ? `${REF}${entry[0]}` : undefined;
}

/** A JSON Schema without the keywords that make no sense inside an OpenAPI document. */
function bare(schema: Record<string, unknown>): Record<string, unknown> {
  const { $schema: _s, $id: _i, ...rest } = schema;
  return rest;
}

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const ref = refOf(schema);
  if (ref) return { $ref: ref };
  return bare(z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>);
}

function parameters(schema: z.ZodObject | undefined, where: 'path' | 'query') {
  if (!schema) return [];
  return Object.entries(schema.shape).map(([name, property]) => {
    const prop = property as z.ZodType;
    const converted = bare(
      z.toJSONSchema(prop, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>,
    );
    const { description, ...rest } = converted;
    return {
      name,
      in: where,
      required: where === 'path' || !prop.safeParse(undefined).success,
      ...(typeof description === 'string' ? { description } : {}),
      schema: rest,
    };
  });
}

function response(spec: ResponseSpec) {
  const content: Record<string, unknown> = {};
  if (spec.schema) content['application/json'] = { schema: jsonSchema(spec.schema, 'output') };
  for (const type of spec.text ?? []) content[type] = { schema: { type: 'string' } };
  return { description: spec.description, ...(Object.keys(content).length > 0 ? { content } : {}) };
}

/** The OpenAPI 3.1 document of the operations API, generated from the schemas the handlers parse with. */
export function buildOpenApiDocument(operations: readonly OperationSpec[], version: string) {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(components)) registry.add(schema, { id });
  const generated = z.toJSONSchema(registry, { uri: (id) => `${REF}${id}`, unrepresentable: 'any' });
  const schemas = Object.fromEntries(
    Object.entries(generated.schemas).map(([id, schema]) => [id, bare(schema as Record<string, unknown>)]),
  );

  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of operations) {
    const path = op.url.replace(/:(\w+)/g, '{$1}');
    const statuses = [...new Set([...op.errors, 401, 403])].sort();
    paths[path] ??= {};
    paths[path][op.method.toLowerCase()] = {
      operationId: op.operationId,
      summary: op.summary,
      ...(op.description ? { description: op.description } : {}),
      tags: [op.tag],
      parameters: [
        ...parameters(op.params, 'path'),
        ...parameters(op.query, 'query'),
        ...(op.method === 'POST'
          ? [
              {
                name: 'X-CSRF-Token',
                in: 'header',
                required: false,
                description: 'Required unless the request carries the bearer token: from GET /api/session.',
                schema: { type: 'string' },
              },
            ]
          : []),
      ],
      ...(op.body
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: jsonSchema(op.body, 'input') } },
            },
          }
        : {}),
      responses: {
        [String(op.success.status)]: response(op.success),
        ...Object.fromEntries(
          statuses.map((status) => [
            String(status),
            response({ description: ERROR_DESCRIPTIONS[status] ?? 'Error', schema: components.Error }),
          ]),
        ),
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'ferry operations API',
      version,
      description:
        'Integrations, runs, records, dead letters and the webhook inbox of a `ferry serve`, and the actions on ' +
        'them. The dashboard is built on it. See docs/dashboard.md.',
    },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    tags: ['integrations', 'runs', 'records', 'dead letters', 'inbox', 'session'].map((name) => ({ name })),
    paths,
    components: {
      schemas,
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'The token the server was started with' },
        session: {
          type: 'apiKey',
          in: 'cookie',
          name: 'ferry_session',
          description: 'Set by signing in on the pages',
        },
      },
    },
    security: [{ bearer: [] }, { session: [] }, {}],
  };
}
