import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Checkpoint, SourceConnector, SourcePage } from '../../core/connector-types.ts';
import { FerryError, hasErrorCode } from '../../core/errors.ts';
import { customerAt } from '../../mocks/customer-data.ts';
import type { FaultOptions } from '../../mocks/fault-options.ts';
import { type MockSourceHandle, startMockSource } from '../../mocks/mock-source.ts';
import { graphqlSource } from './source-spec.ts';
import { testContext } from './test-context.ts';

const SEED = 7;
const COUNT = 230;

const EDGES_QUERY = `query Customers($first: Int, $after: String) {
  customers(first: $first, after: $after) {
    edges { cursor node { customer_id first_name last_name email phone address { street city state zip } } }
    pageInfo { hasNextPage endCursor }
    totalCount
  }
}`;

const NODES_OFFSET_QUERY = `query Customers($offset: Int, $limit: Int) {
  customers(offset: $offset, limit: $limit) {
    nodes { customer_id email }
    totalCount
  }
}`;

let mock: MockSourceHandle;
const contexts: ReturnType<typeof testContext>[] = [];
const servers: Server[] = [];

function context(overrides: Parameters<typeof testContext>[0] = {}) {
  const made = testContext({ allowInsecureHttp: true, ...overrides });
  contexts.push(made);
  return made;
}

beforeAll(async () => {
  mock = await startMockSource({ count: COUNT, seed: SEED });
});
afterAll(async () => {
  await mock.close();
});
afterEach(async () => {
  await Promise.all(contexts.splice(0).map((c) => c.close()));
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
});

function options(extra: Record<string, unknown> = {}, url = mock.graphqlUrl) {
  return graphqlSource.options.parse({
    url,
    auth: { type: 'api_key', name: 'X-API-Key', value: mock.apiKey },
    query: EDGES_QUERY,
    records_path: 'customers.edges',
    total_path: 'customers.totalCount',
    pagination: { type: 'relay', page_size: 50 },
    // Waits between asking again for a partial page are short: nothing here is about timing.
    retry: { base_delay: '1ms', max_delay: '1ms' },
    ...extra,
  });
}

async function make(
  extra: Record<string, unknown> = {},
  ctx = context(),
  url?: string,
): Promise<SourceConnector> {
  return graphqlSource.create(options(extra, url), ctx);
}

async function readAll(source: SourceConnector, from: Checkpoint | null = null): Promise<SourcePage[]> {
  const pages: SourcePage[] = [];
  for await (const page of source.readPages({ from, signal: new AbortController().signal })) pages.push(page);
  return pages;
}

async function failure(promise: Promise<unknown>): Promise<FerryError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof FerryError) return error;
    throw error;
  }
  throw new Error('expected a failure');
}

/** A GraphQL endpoint answering each request with the next scripted body (200, application/json). */
async function scripted(bodies: unknown[]): Promise<{ url: string; requests: unknown[] }> {
  const requests: unknown[] = [];
  const server = createServer((request, response) => {
    let text = '';
    request.on('data', (chunk) => {
      text += chunk;
    });
    request.on('end', () => {
      requests.push(JSON.parse(text));
      const body = bodies[Math.min(requests.length - 1, bodies.length - 1)];
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`, requests };
}

describe('graphql source: reading', () => {
  it('reads every customer through Relay cursors, unwrapping edges, with each edge cursor as its position', async () => {
    const pages = await readAll(await make());
    expect(pages).toHaveLength(5);
    const records = pages.flatMap((page) => page.records) as Array<{ customer_id: unknown }>;
    expect(records).toHaveLength(COUNT);
    for (const i of [0, 49, 50, 229]) {
      const expected = customerAt(SEED, i) as { customer_id?: unknown };
      expect(records[i]?.customer_id).toEqual(expected.customer_id ?? null);
    }
    expect(pages[0]?.positions?.[3]).toMatch(/^cursor \S+$/);
    expect(pages[1]?.label).toMatch(/^page 2 \(after cursor \S+\)$/);
    expect(pages.map((page) => page.recordsBefore)).toEqual([0, 50, 100, 150, 200]);
    expect(pages.every((page) => page.totalRecords === COUNT)).toBe(true);
    expect(pages.at(-1)?.next).toBeNull();
    expect(pages[0]?.next).toMatchObject({ page: 2, cursor: expect.any(String) });
  });

  it('reads nodes by offset, with the absolute offset as each position, ending at the total', async () => {
    const ctx = context();
    const pages = await readAll(
      await make(
        {
          query: NODES_OFFSET_QUERY,
          records_path: 'customers.nodes',
          pagination: { type: 'offset', page_size: 100 },
        },
        ctx,
      ),
    );
    expect(pages.map((page) => page.records.length)).toEqual([100, 100, 30]);
    expect(pages[2]?.positions?.[0]).toBe('offset 200');
    expect(pages[1]?.next).toMatchObject({ offset: 200 });
    // The total ends the read: no request for an empty page past it.
    expect(ctx.sent.get('source')).toBe(3);
  });

  it('resumes after the checkpoint of a settled page, and starts over when the query changed', async () => {
    const first = await readAll(await make());
    const checkpoint = first[1]!.next!;
    const resumed = await readAll(await make(), checkpoint);
    expect(resumed.map((page) => page.records.length)).toEqual([50, 50, 30]);
    expect(resumed[0]?.recordsBefore).toBe(100);
    expect(resumed[0]?.positions).toEqual(first[2]?.positions);

    const changed = EDGES_QUERY.replace('phone', 'phone loyalty_tier');
    const restarted = await readAll(await make({ query: changed }), checkpoint);
    expect(restarted).toHaveLength(5);
    expect(restarted[0]?.recordsBefore).toBe(0);
  });

  it('starts over when the API refuses the saved cursor, saying so in the page label', async () => {
    const stale: Checkpoint = { ...(await readAll(await make()))[0]!.next!, cursor: 'c3RhbGU' };
    const pages = await readAll(await make(), stale);
    expect(pages).toHaveLength(5);
    expect(pages[0]?.label).toMatch(/^page 1 \(started over: the saved cursor was refused: .*not a cursor/);
  });

  it('reads a query from a file beside the integration', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ferry-graphql-'));
    try {
      await writeFile(join(dir, 'customers.graphql'), EDGES_QUERY);
      const pages = await readAll(
        await make({ query: undefined, query_file: 'customers.graphql' }, context({ baseDir: dir })),
      );
      expect(pages.flatMap((page) => page.records)).toHaveLength(COUNT);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('graphql source: errors in the body', () => {
  async function withFaults(faults: FaultOptions, extra: Record<string, unknown> = {}) {
    const faulty = await startMockSource({ count: COUNT, seed: SEED, apiKey: mock.apiKey, faults });
    try {
      const pages = await readAll(await make(extra, context(), faulty.graphqlUrl));
      return { pages, stats: faulty.stats() };
    } finally {
      await faulty.close();
    }
  }

  it('retries whole-request errors in a 200 (data null, SERVICE_UNAVAILABLE) and reads everything', async () => {
    const { pages, stats } = await withFaults({ graphqlErrorRate: 0.3 });
    expect(stats.graphqlErrors).toBeGreaterThan(0);
    expect(pages.flatMap((page) => page.records)).toHaveLength(COUNT);
    expect(pages.every((page) => page.rejects === undefined)).toBe(true);
  });

  it('asks again for a page whose records came back as passing errors, and quarantines none', async () => {
    const { pages, stats } = await withFaults({ graphqlPartialRate: 0.3 });
    expect(stats.graphqlPartials).toBeGreaterThan(0);
    expect(pages.flatMap((page) => page.records)).toHaveLength(COUNT);
    expect(pages.every((page) => page.rejects === undefined)).toBe(true);
    expect(pages.some((page) => page.label?.includes('asked 2 times'))).toBe(true);
  });

  it('quarantines a record that keeps coming back as an error, with its cursor and the error; the rest flows on', async () => {
    const { pages } = await withFaults({ graphqlPartialRate: 1 });
    expect(pages.flatMap((page) => page.records)).toHaveLength(COUNT);
    for (const page of pages) {
      expect(page.rejects?.size).toBe(1);
      const [index, reasons] = [...page.rejects!][0]!;
      expect(page.positions?.[index]).toMatch(/^cursor \S+$/);
      // What was read at its place: the edge, its node null.
      expect(page.records[index]).toEqual({
        cursor: page.positions?.[index]?.slice('cursor '.length),
        node: null,
      });
      expect(reasons[0]).toEqual({
        code: 'source_graphql_error',
        message: expect.stringMatching(
          /^the source sent an error instead of this record: customer at offset \d+ could not be loaded \(injected partial failure\) \(INTERNAL_SERVER_ERROR\)$/,
        ),
      });
    }
  });

  it('names the field a partial error points at, and the nodes position without edges', async () => {
    const { url } = await scripted([
      {
        data: {
          customers: {
            nodes: [
              { id: '1', email: 'a@example.com' },
              { id: '2', email: null },
            ],
            pageInfo: { hasNextPage: false, endCursor: null },
          },
        },
        errors: [
          {
            message: 'email could not be decrypted',
            path: ['customers', 'nodes', 1, 'email'],
            extensions: { code: 'DECRYPTION_FAILED' },
          },
        ],
      },
    ]);
    const pages = await readAll(
      await make(
        {
          query:
            'query($after: String) { customers(after: $after) { nodes { id email } pageInfo { hasNextPage endCursor } } }',
          records_path: 'customers.nodes',
          total_path: undefined,
          pagination: { type: 'relay' },
        },
        context(),
        url,
      ),
    );
    expect(pages[0]?.positions).toEqual([
      'customers.nodes[0] of the first page',
      'customers.nodes[1] of the first page',
    ]);
    expect([...(pages[0]?.rejects ?? [])]).toEqual([
      [
        1,
        [
          {
            code: 'source_graphql_error',
            field: 'email',
            message:
              'the source sent an error instead of email: email could not be decrypted (DECRYPTION_FAILED)',
          },
        ],
      ],
    ]);
  });

  it('fails the run instead of quarantining when partial_data.still_failing is fail', async () => {
    const faulty = await startMockSource({
      count: COUNT,
      seed: SEED,
      apiKey: mock.apiKey,
      faults: { graphqlPartialRate: 1 },
    });
    try {
      const source = await make(
        { partial_data: { retries: 0, still_failing: 'fail' } },
        context(),
        faulty.graphqlUrl,
      );
      const error = await failure(readAll(source));
      expect(error.code).toBe('FERRY_ERR_GRAPHQL_ERRORS');
      expect(error.message).toMatch(/page 1 of source .*could not be loaded/);
    } finally {
      await faulty.close();
    }
  });

  it('stops with FERRY_ERR_GRAPHQL_INVALID when the API does not accept the query', async () => {
    const error = await failure(
      readAll(await make({ query: EDGES_QUERY.replace('phone', 'phone shoeSize') })),
    );
    expect(error.code).toBe('FERRY_ERR_GRAPHQL_INVALID');
    expect(error.message).toContain('Cannot query field "shoeSize" on type "Customer"');
    expect(error.message).toContain('check source.query');
  });

  it('stops with FERRY_ERR_HTTP_UNAUTHORIZED on a wrong API key, quoting the API', async () => {
    const source = await make({ auth: { type: 'api_key', name: 'X-API-Key', value: 'wrong-key' } });
    const error = await failure(readAll(source));
    expect(error.code).toBe('FERRY_ERR_HTTP_UNAUTHORIZED');
    expect(error.message).toContain('missing or wrong X-API-Key header (UNAUTHENTICATED)');
  });

  it('stops when pageInfo came back as an error, naming it', async () => {
    const { url } = await scripted([
      {
        data: { customers: { nodes: [{ id: '1' }], pageInfo: null } },
        errors: [
          {
            message: 'pagination service down',
            path: ['customers', 'pageInfo'],
            extensions: { code: 'BOOM' },
          },
        ],
      },
    ]);
    const source = await make(
      {
        query:
          'query($after: String) { customers(after: $after) { nodes { id } pageInfo { hasNextPage endCursor } } }',
        records_path: 'customers.nodes',
        total_path: undefined,
        pagination: { type: 'relay' },
      },
      context(),
      url,
    );
    const error = await failure(readAll(source));
    expect(error.code).toBe('FERRY_ERR_GRAPHQL_ERRORS');
    expect(error.message).toContain('pagination service down at customers.pageInfo (BOOM)');
  });

  it('stops when the API repeats an endCursor instead of looping', async () => {
    const page = {
      data: { customers: { nodes: [{ id: '1' }], pageInfo: { hasNextPage: true, endCursor: 'same' } } },
    };
    const { url } = await scripted([page]);
    const source = await make(
      {
        query:
          'query($after: String) { customers(after: $after) { nodes { id } pageInfo { hasNextPage endCursor } } }',
        records_path: 'customers.nodes',
        total_path: undefined,
        pagination: { type: 'relay' },
      },
      context(),
      url,
    );
    const error = await failure(readAll(source));
    expect(error.code).toBe('FERRY_ERR_SOURCE_PAGINATION');
    expect(error.message).toContain('endCursor same was seen before');
  });
});

describe('graphql source: config checks', () => {
  function issues(extra: Record<string, unknown>) {
    const parsed = graphqlSource.options.safeParse({
      url: 'http://127.0.0.1:1/graphql',
      query: EDGES_QUERY,
      records_path: 'customers.edges',
      ...extra,
    });
    expect(parsed.success).toBe(false);
    return parsed.error!.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
  }

  it('names the line and column of a syntax error in the query', () => {
    expect(issues({ query: 'query Customers {\n  customers(first: 10 {\n    nodes { id }\n  }\n}' })).toEqual(
      [
        {
          path: 'query',
          message: expect.stringMatching(
            /^line 2, column 23 of the text: GraphQL syntax error: Expected Name, found "\{"\./,
          ),
        },
      ],
    );
  });

  it('refuses a mutation, a missing cursor variable, undeclared and required variables', () => {
    expect(issues({ query: 'mutation { x }' })[0]?.message).toContain('expected a query, found a mutation');
    expect(issues({ query: '{ customers { edges { node { id } } } }' })).toEqual([
      {
        path: 'pagination.cursor_variable',
        message: expect.stringContaining(
          "the query declares no $after, which ferry fills with the previous page's endCursor",
        ),
      },
    ]);
    expect(
      issues({
        query:
          'query($after: String, $since: String!) { customers(after: $after, updatedSince: $since) { edges { node { id } } } }',
        variables: { sinse: '2026-01-01T00:00:00Z' },
      }),
    ).toEqual([
      { path: 'variables.sinse', message: 'the query declares no $sinse (it declares $after, $since)' },
      {
        path: 'variables',
        message: 'the query requires $since: String!, which nothing fills: give it under variables',
      },
    ]);
    expect(issues({ variables: { after: 'x' } })[0]).toEqual({
      path: 'variables.after',
      message:
        "$after is filled by ferry (pagination.cursor_variable: the previous page's endCursor); remove it from variables",
    });
  });

  it('wants exactly one of query and query_file', () => {
    expect(issues({ query: undefined })[0]?.message).toBe(
      'expected the GraphQL text in query, or a file holding it in query_file',
    );
    expect(issues({ query_file: 'q.graphql' })[0]?.message).toBe('give query or query_file, not both');
  });

  it('names the file, line and column of a syntax error in query_file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ferry-graphql-'));
    try {
      await writeFile(join(dir, 'broken.graphql'), 'query {\n  customers(\n}\n');
      const parsed = graphqlSource.options.parse({
        url: 'http://127.0.0.1:1/graphql',
        query_file: 'broken.graphql',
        records_path: 'customers.nodes',
      });
      let error: unknown;
      try {
        await graphqlSource.create(parsed, context({ baseDir: dir }));
      } catch (caught) {
        error = caught;
      }
      expect(hasErrorCode(error, 'FERRY_ERR_CONFIG_INVALID')).toBe(true);
      expect((error as Error).message).toMatch(
        new RegExp(
          `^source.query_file: ${join(dir, 'broken.graphql')}:3:1: GraphQL syntax error: Expected Name, found "}"`,
        ),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
