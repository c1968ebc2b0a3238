import { Ajv2020 } from 'ajv/dist/2020.js';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routesOf } from './create-mock-app.ts';
import { customerAt } from './customer-data.ts';
import { buildMockDestination } from './mock-destination.ts';
import { buildMockSource } from './mock-source.ts';
import { loadOrderSchema } from './order-schema.ts';

interface OpenApiDoc {
  openapi: string;
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: { securitySchemes: Record<string, unknown> };
}
interface OpenApiOperation {
  requestBody?: { content: Record<string, { schema: Record<string, unknown>; example?: unknown }> };
  responses: Record<string, { content?: Record<string, { schema: Record<string, unknown> }> }>;
}

async function documentOf(app: FastifyInstance): Promise<OpenApiDoc> {
  const response = await app.inject({ url: '/openapi.json' });
  expect(response.statusCode).toBe(200);
  return JSON.parse(response.body) as OpenApiDoc;
}

function documentedRoutes(doc: OpenApiDoc): string[] {
  return Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.keys(ops).map((method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
  );
}

function visibleRoutes(app: FastifyInstance): string[] {
  return routesOf(app)
    .filter((r) => !r.hidden)
    .map((r) => `${r.method} ${r.url}`);
}

describe('OpenAPI document of the mock destination', () => {
  let app: FastifyInstance;
  let doc: OpenApiDoc;
  beforeAll(async () => {
    ({ app } = await buildMockDestination());
    doc = await documentOf(app);
  });
  afterAll(() => app.close());

  it('is OpenAPI 3.1 and documents every route the server has', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(visibleRoutes(app).length).toBeGreaterThanOrEqual(6);
    expect(documentedRoutes(doc).sort()).toEqual(visibleRoutes(app).sort());
    expect(doc.components.securitySchemes.oauth2).toMatchObject({
      type: 'oauth2',
      flows: { clientCredentials: { tokenUrl: '/oauth/token' } },
    });
  });

  it('takes exactly order.schema.json as the order request body, and its example validates', () => {
    const media = doc.paths['/api/v2/orders']?.post?.requestBody?.content['application/json'];
    const { $schema: _schema, $id: _id, ...orderSchema } = loadOrderSchema();
    expect(media?.schema).toEqual(orderSchema);
    const validate = new Ajv2020({ strict: false }).compile(loadOrderSchema());
    expect(media?.example).toBeDefined();
    expect(validate(media?.example)).toBe(true);
  });

  it('documents the order responses the server really sends', () => {
    const responses = doc.paths['/api/v2/orders']?.post?.responses ?? {};
    expect(Object.keys(responses).sort()).toEqual(['201', '400', '401', '409', '422', '429', '500', '503']);
    const tokenBody = doc.paths['/oauth/token']?.post?.requestBody?.content ?? {};
    expect(Object.keys(tokenBody)).toContain('application/x-www-form-urlencoded');
  });
});

describe('OpenAPI document of the mock source', () => {
  let app: FastifyInstance;
  let doc: OpenApiDoc;
  beforeAll(async () => {
    ({ app } = await buildMockSource({ apiKey: 'k-openapi' }));
    doc = await documentOf(app);
  });
  afterAll(() => app.close());

  it('documents every route and the API key scheme', () => {
    expect(documentedRoutes(doc).sort()).toEqual(visibleRoutes(app).sort());
    expect(doc.components.securitySchemes.apiKey).toEqual({
      type: 'apiKey',
      in: 'header',
      name: 'X-API-Key',
    });
  });

  it('describes the customers it serves, dirty ones included', async () => {
    const schema =
      doc.paths['/api/v1/customers']?.get?.responses['200']?.content?.['application/json']?.schema;
    expect(schema).toBeDefined();
    const validate = new Ajv2020({ strict: false }).compile(schema as Record<string, unknown>);
    const served = await app.inject({ url: '/api/v1/customers', headers: { 'x-api-key': 'k-openapi' } });
    expect(validate(JSON.parse(served.body))).toBe(true);
    const sample = Array.from({ length: 3000 }, (_, i) => customerAt(3, i));
    expect(validate(sample)).toBe(true);
  });
});
