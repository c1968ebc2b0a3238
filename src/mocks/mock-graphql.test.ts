import {
  buildClientSchema,
  buildSchema,
  getIntrospectionQuery,
  type IntrospectionQuery,
  printSchema,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customerAt, type MockCustomer } from './customer-data.ts';
import { encodeCursor } from './graphql/customer-cursor.ts';
import { CUSTOMER_GRAPHQL_SDL } from './graphql/schema.ts';
import { buildMockSource, type MockSourceHandle, startMockSource } from './mock-source.ts';

const API_KEY = 'test-api-key';
const CUSTOMER_FIELDS =
  'customer_id first_name last_name email address { street city state zip } phone loyalty_tier _internal';

interface GraphqlBody {
  data?: Record<string, unknown> | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[];
}
interface Connection {
  totalCount: number;
  nodes: (Record<string, unknown> | null)[];
  edges: { cursor: string; node: Record<string, unknown> | null }[];
  pageInfo: {
    hasNextPage: boolean;
    hasPreviousPage: boolean;
    startCursor: string | null;
    endCursor: string | null;
  };
}

const PAGE_QUERY = `query Page($first: Int, $after: String, $offset: Int, $limit: Int) {
  customers(first: $first, after: $after, offset: $offset, limit: $limit) {
    totalCount
    nodes { ${CUSTOMER_FIELDS} }
    edges { cursor node { customer_id } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
  }
}`;

/** A REST customer as GraphQL must show it: the same values, with absent fields read as null. */
function asGraphql(customer: MockCustomer): Record<string, unknown> {
  const address = customer.address;
  return {
    customer_id: customer.customer_id ?? null,
    first_name: customer.first_name ?? null,
    last_name: customer.last_name ?? null,
    email: customer.email ?? null,
    address: address
      ? {
          street: address.street ?? null,
          city: address.city ?? null,
          state: address.state ?? null,
          zip: address.zip ?? null,
        }
      : null,
    phone: customer.phone ?? null,
    loyalty_tier: customer.loyalty_tier ?? null,
    _internal: customer._internal ?? null,
  };
}

describe('mock GraphQL customer API over a real loopback port', () => {
  let source: MockSourceHandle;
  let rest: MockCustomer[];
  beforeAll(async () => {
    source = await startMockSource({ count: 2345, seed: 9, apiKey: API_KEY });
    const response = await fetch(source.url, { headers: { 'X-API-Key': API_KEY } });
    rest = (await response.json()) as MockCustomer[];
  });
  afterAll(() => source.close());

  async function post(query: string, variables: Record<string, unknown> = {}): Promise<GraphqlBody> {
    const response = await fetch(source.graphqlUrl, {
      method: 'POST',
      headers: { 'X-API-Key': API_KEY, 'Content-Type': 'application/json' },
      body: JSON.stringify({ query, variables }),
    });
    expect(response.status).toBe(200);
    return (await response.json()) as GraphqlBody;
  }

  it('serves the GraphQL endpoint on the same origin as the REST one', () => {
    expect(source.graphqlUrl).toBe(`${source.origin}/graphql`);
  });

  it('pages through every customer with Relay cursors: exactly the REST data set, in order', async () => {
    const walked: unknown[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const body = await post(PAGE_QUERY, { first: 500, after });
      expect(body.errors).toBeUndefined();
      const page = body.data?.customers as Connection;
      expect(page.totalCount).toBe(2345);
      expect(page.edges.map((e) => e.node?.customer_id)).toEqual(page.nodes.map((n) => n?.customer_id));
      expect(page.pageInfo.endCursor).toBe(page.edges.at(-1)?.cursor ?? null);
      expect(page.pageInfo.hasPreviousPage).toBe(pages > 0);
      walked.push(...page.nodes);
      pages++;
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    expect(pages).toBe(5);
    expect(walked).toEqual(rest.map(asGraphql));
  });

  it('pages through every customer with offset and limit: exactly the REST data set, in order', async () => {
    const walked: unknown[] = [];
    for (let offset = 0; ; offset += 400) {
      const page = (await post(PAGE_QUERY, { offset, limit: 400 })).data?.customers as Connection;
      walked.push(...page.nodes);
      if (!page.pageInfo.hasNextPage) break;
    }
    expect(walked).toEqual(rest.map(asGraphql));
  });

  it('keeps dirty values dirty: numeric ids and zips stay numbers, extra fields come through', async () => {
    const nodes: (Record<string, unknown> | null)[] = [];
    for (let offset = 0; offset < rest.length; offset += 500) {
      const page = (await post(PAGE_QUERY, { offset, limit: 500 })).data?.customers as Connection;
      nodes.push(...page.nodes);
    }
    const dirt = (list: readonly unknown[]) => {
      const get = (value: unknown, key: string) =>
        (value as Record<string, unknown> | null | undefined)?.[key];
      return {
        numericIds: list.filter((c) => typeof get(c, 'customer_id') === 'number').length,
        numericZips: list.filter((c) => typeof get(get(c, 'address'), 'zip') === 'number').length,
        extraFields: list.filter((c) => typeof get(c, 'loyalty_tier') === 'string').length,
      };
    };
    expect(Object.values(dirt(rest)).every((n) => n > 0)).toBe(true);
    expect(dirt(nodes)).toEqual(dirt(rest));
  });

  it('serves the SDL it runs at /graphql/schema.graphql, without an API key', async () => {
    const response = await fetch(`${source.origin}/graphql/schema.graphql`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    const sdl = await response.text();
    expect(sdl).toBe(CUSTOMER_GRAPHQL_SDL);
    const introspection = (await post(getIntrospectionQuery({ specifiedByUrl: true })))
      .data as unknown as IntrospectionQuery;
    expect(printSchema(buildClientSchema(introspection))).toBe(
      printSchema(buildSchema(CUSTOMER_GRAPHQL_SDL)),
    );
    expect(sdl).toContain(
      'customers(first: Int, after: String, offset: Int, limit: Int, updatedSince: String): CustomerConnection!',
    );
  });

  it('answers GET /graphql for queries too', async () => {
    const url = new URL(source.graphqlUrl);
    url.searchParams.set('query', 'query One($id: ID!) { customer(id: $id) { customer_id } }');
    url.searchParams.set('variables', JSON.stringify({ id: '12' }));
    const response = await fetch(url, { headers: { 'X-API-Key': API_KEY } });
    expect(await response.json()).toEqual({ data: { customer: { customer_id: rest[11]?.customer_id } } });
  });
});

describe('mock GraphQL customer API (inject)', () => {
  let app: Awaited<ReturnType<typeof buildMockSource>>['app'];
  const startedAt = Date.UTC(2030, 0, 1, 12, 0, 0);
  beforeAll(async () => {
    ({ app } = await buildMockSource({ count: 50, seed: 4, apiKey: API_KEY, now: () => startedAt }));
  });
  afterAll(() => app.close());

  async function post(
    query: string,
    variables: Record<string, unknown> = {},
    headers: Record<string, string> = { 'x-api-key': API_KEY },
  ) {
    const response = await app.inject({
      method: 'POST',
      url: '/graphql',
      headers: { 'content-type': 'application/json', ...headers },
      payload: JSON.stringify({ query, variables }),
    });
    return {
      status: response.statusCode,
      headers: response.headers,
      body: JSON.parse(response.body) as GraphqlBody,
    };
  }

  async function errorOf(args: string, variables: { after?: string } = {}) {
    const declared = variables.after === undefined ? '' : '($after: String)';
    const { status, body } = await post(
      `query Q${declared} { customers(${args}) { totalCount } }`,
      variables,
    );
    expect(status).toBe(200);
    expect(body.data).toBeNull();
    expect(body.errors).toHaveLength(1);
    return body.errors?.[0];
  }

  it('refuses a missing or wrong API key with 401 and a GraphQL errors body', async () => {
    for (const headers of [{}, { 'x-api-key': 'nope' }]) {
      const { status, headers: h, body } = await post('{ customers { totalCount } }', {}, headers);
      expect(status).toBe(401);
      expect(h['content-type']).toBe('application/json; charset=utf-8');
      expect(body).toEqual({
        errors: [{ message: 'missing or wrong X-API-Key header', extensions: { code: 'UNAUTHENTICATED' } }],
      });
    }
    const modern = await post(
      '{ customers { totalCount } }',
      {},
      { accept: 'application/graphql-response+json' },
    );
    expect(modern.status).toBe(401);
    expect(modern.headers['content-type']).toBe('application/graphql-response+json; charset=utf-8');
  });

  it('caps first and limit at 500 with a GraphQL error naming the argument', async () => {
    expect(await errorOf('first: 501')).toMatchObject({
      message: 'first: must be at most 500, got 501',
      path: ['customers'],
      extensions: { code: 'BAD_USER_INPUT', argument: 'first' },
    });
    expect((await errorOf('limit: 1000'))?.extensions).toMatchObject({ argument: 'limit' });
    expect((await errorOf('first: -1'))?.message).toBe('first: must be 0 or more, got -1');
    expect((await errorOf('offset: -3'))?.message).toBe('offset: must be 0 or more, got -3');
    expect((await errorOf('first: 5, limit: 5'))?.message).toBe('limit: give first or limit, not both');
    const mixed = await errorOf('after: $after, offset: 2', { after: encodeCursor(1) });
    expect(mixed?.message).toBe('offset: give after (cursor) or offset, not both');
    const { body } = await post('{ customers(first: 500) { totalCount } }');
    expect(body).toEqual({ data: { customers: { totalCount: 50 } } });
  });

  it('refuses cursors it did not issue with a GraphQL error', async () => {
    const forged = Buffer.from('customer:01').toString('base64url');
    for (const after of ['zzz', '', encodeCursor(50), encodeCursor(-1), forged, `${encodeCursor(3)}==`]) {
      const error = await errorOf('after: $after', { after });
      expect(error?.extensions).toEqual({ code: 'BAD_USER_INPUT', argument: 'after' });
      expect(error?.message).toMatch(/is not a cursor of this data set of 50 customers/);
    }
  });

  it('reports the last page and an empty page after it', async () => {
    const last = (await post(PAGE_QUERY, { offset: 45, limit: 10 })).body.data?.customers as Connection;
    expect(last.nodes).toHaveLength(5);
    expect(last.pageInfo).toEqual({
      hasNextPage: false,
      hasPreviousPage: true,
      startCursor: encodeCursor(45),
      endCursor: encodeCursor(49),
    });
    const after = (await post(PAGE_QUERY, { after: encodeCursor(49) })).body.data?.customers as Connection;
    expect(after).toMatchObject({ totalCount: 50, nodes: [], edges: [] });
    expect(after.pageInfo).toMatchObject({ hasNextPage: false, startCursor: null, endCursor: null });
    const beyond = (await post(PAGE_QUERY, { offset: 80 })).body.data?.customers as Connection;
    expect(beyond.nodes).toEqual([]);
    const first = (await post(PAGE_QUERY)).body.data?.customers as Connection;
    expect(first.nodes).toHaveLength(50);
  });

  it('finds one customer by id, and answers null for an id nobody has', async () => {
    const query = `query One($id: ID!) { customer(id: $id) { ${CUSTOMER_FIELDS} } }`;
    const found = (await post(query, { id: '7' })).body;
    expect(found).toEqual({ data: { customer: asGraphql(customerAt(4, 6)) } });
    for (const id of ['0', '51', 'abc', '07', '']) {
      expect((await post(query, { id })).body).toEqual({ data: { customer: null } });
    }
  });

  it('filters by updatedSince, oldest change first, and refuses a malformed instant', async () => {
    const query =
      'query Since($s: String) { customers(updatedSince: $s, first: 100) { totalCount nodes { customer_id updated_at } } }';
    // Seeded customers change three a second from 2025-01-01T00:00:00Z on: from second 5, customer 16 on.
    const since = (await post(query, { s: '2025-01-01T01:00:05+01:00' })).body.data?.customers as Connection;
    expect(since.totalCount).toBe(35);
    expect(since.nodes[0]).toEqual({ customer_id: '16', updated_at: '2025-01-01T00:00:05.000Z' });
    const later = (await post(query, { s: '2025-01-01T00:00:16.001Z' })).body.data?.customers as Connection;
    expect(later).toEqual({ totalCount: 0, nodes: [] });
    const { body } = await post(query, { s: 'March 7' });
    expect(body.data).toBeNull();
    expect(body.errors?.[0]?.extensions).toEqual({ code: 'BAD_USER_INPUT', argument: 'updatedSince' });
  });

  it('answers a malformed body and an invalid query with GraphQL errors, not the REST error object', async () => {
    const malformed = await app.inject({
      method: 'POST',
      url: '/graphql',
      headers: { 'content-type': 'application/json', 'x-api-key': API_KEY },
      payload: '{"query": ',
    });
    expect(malformed.statusCode).toBe(400);
    expect(JSON.parse(malformed.body)).toMatchObject({ errors: [{ extensions: { code: 'BAD_REQUEST' } }] });
    const invalid = await post(
      '{ customers { nope } }',
      {},
      { 'x-api-key': API_KEY, accept: 'application/graphql-response+json' },
    );
    expect(invalid.status).toBe(400);
    expect(invalid.body.data).toBeUndefined();
    expect(invalid.body.errors?.[0]?.message).toMatch(/nope/);
  });
});
