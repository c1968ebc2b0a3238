import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { hasErrorCode } from '../core/errors.ts';
import { customerAt } from './customer-data.ts';
import { createFaultInjector } from './fault-injector.ts';
import { type FaultOptions, resolveFaults } from './fault-options.ts';
import { buildMockSource } from './mock-source.ts';

const API_KEY = 'test-api-key';
const QUERY =
  '{ customers(first: 10) { totalCount nodes { customer_id email } edges { cursor node { customer_id } } } }';

interface GraphqlBody {
  data?: { customers?: { nodes: unknown[]; edges: { node: unknown }[] } | null } | null;
  errors?: { message: string; path?: (string | number)[]; extensions?: { code?: string } }[];
}

async function query(app: FastifyInstance, text = QUERY) {
  const response = await app.inject({
    method: 'POST',
    url: '/graphql',
    headers: { 'content-type': 'application/json', 'x-api-key': API_KEY },
    payload: JSON.stringify({ query: text }),
  });
  return {
    status: response.statusCode,
    headers: response.headers,
    body: JSON.parse(response.body) as GraphqlBody,
  };
}

/** How a response looks to a GraphQL client, one word per outcome. */
function outcome({ status, body }: Awaited<ReturnType<typeof query>>): string {
  if (status !== 200) return String(status);
  if (body.data === null) return 'graphql_error';
  return body.errors ? 'graphql_partial' : 'ok';
}

describe('mock GraphQL faults', () => {
  it('injects HTTP and GraphQL faults at the seeded rates, in the order the seed dictates', async () => {
    const faults: FaultOptions = {
      errorRate: 0.1,
      rateLimitedRate: 0.05,
      graphqlErrorRate: 0.2,
      graphqlPartialRate: 0.15,
    };
    const { app, stats } = await buildMockSource({ count: 30, apiKey: API_KEY, seed: 5, faults });
    const seen: string[] = [];
    for (let i = 0; i < 400; i++) seen.push(outcome(await query(app)));
    const injector = createFaultInjector(5, resolveFaults(faults));
    const expected = Array.from({ length: 400 }, () => {
      const d = injector.next();
      return d.kind === 'error'
        ? String(d.status)
        : d.kind === 'rate_limited'
          ? '429'
          : d.kind === 'none'
            ? 'ok'
            : d.kind;
    });
    expect(seen).toEqual(expected);
    const share = (kind: string) => seen.filter((s) => s === kind).length / seen.length;
    expect(share('graphql_error')).toBeGreaterThan(0.14);
    expect(share('graphql_error')).toBeLessThan(0.26);
    expect(share('graphql_partial')).toBeGreaterThan(0.1);
    expect(share('graphql_partial')).toBeLessThan(0.2);
    expect(share('500') + share('503')).toBeGreaterThan(0.05);
    expect(share('429')).toBeGreaterThan(0.02);
    expect(stats().graphqlErrors).toBe(seen.filter((s) => s === 'graphql_error').length);
    expect(stats().graphqlPartials).toBe(seen.filter((s) => s === 'graphql_partial').length);
    expect(stats().requests['POST /graphql']?.['200']).toBe(seen.filter((s) => !/^\d+$/.test(s)).length);
    // A partial page serves all but the customer that failed.
    const count = (kind: string) => seen.filter((s) => s === kind).length;
    const served = count('ok') * 10 + count('graphql_partial') * 9;
    expect(stats().customersServed).toBe(served);
    await app.close();
  });

  it('fails a whole request as a 200 with data null and a retryable SERVICE_UNAVAILABLE error', async () => {
    const { app } = await buildMockSource({ count: 30, apiKey: API_KEY, faults: { graphqlErrorRate: 1 } });
    const { status, body } = await query(app);
    expect(status).toBe(200);
    expect(body).toEqual({
      data: null,
      errors: [
        {
          message: 'the customer service is temporarily unavailable (injected GraphQL error); retry',
          extensions: { code: 'SERVICE_UNAVAILABLE' },
        },
      ],
    });
    // A broken query still gets its own validation errors, not the injected one.
    expect((await query(app, '{ nope }')).body.errors?.[0]?.message).toMatch(/nope/);
    await app.close();
  });

  it('answers partial data: one customer null in nodes and edges, each with an error at its path', async () => {
    const { app, stats } = await buildMockSource({
      count: 30,
      seed: 8,
      apiKey: API_KEY,
      faults: { graphqlPartialRate: 1 },
    });
    const { status, body } = await query(app);
    expect(status).toBe(200);
    const page = body.data?.customers;
    const failed = page?.nodes.indexOf(null) ?? -1;
    expect(failed).toBeGreaterThanOrEqual(0);
    expect(page?.nodes.filter((node) => node === null)).toHaveLength(1);
    expect(page?.edges[failed]?.node).toBeNull();
    page?.nodes.forEach((node, i) => {
      if (i !== failed)
        expect(node).toEqual({
          customer_id: customerAt(8, i).customer_id,
          email: customerAt(8, i).email ?? null,
        });
    });
    expect(body.errors?.map((e) => e.path)).toEqual([
      ['customers', 'nodes', failed],
      ['customers', 'edges', failed, 'node'],
    ]);
    expect(body.errors?.[0]).toMatchObject({
      message: `customer at offset ${failed} could not be loaded (injected partial failure)`,
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    });
    const single = await query(app, '{ customer(id: "3") { customer_id } }');
    expect(single.body).toMatchObject({ data: { customer: null }, errors: [{ path: ['customer'] }] });
    expect(stats().graphqlPartials).toBe(2);
    await app.close();
  });

  it('answers injected 500/503 and 429 on /graphql with a GraphQL errors body and Retry-After', async () => {
    const failing = await buildMockSource({ apiKey: API_KEY, seed: 3, faults: { errorRate: 1 } });
    const codes = new Set<string>();
    for (let i = 0; i < 10; i++) {
      const { status, body } = await query(failing.app);
      expect([500, 503]).toContain(status);
      expect(body.data).toBeUndefined();
      codes.add(`${status} ${body.errors?.[0]?.extensions?.code}`);
    }
    expect(codes).toEqual(new Set(['500 INTERNAL_SERVER_ERROR', '503 SERVICE_UNAVAILABLE']));
    await failing.app.close();

    const limited = await buildMockSource({
      apiKey: API_KEY,
      faults: { rateLimitedRate: 1, retryAfterSeconds: 7 },
    });
    const { status, headers, body } = await query(limited.app);
    expect(status).toBe(429);
    expect(headers['retry-after']).toBe('7');
    expect(body).toEqual({
      errors: [{ message: 'injected 429 (mock fault)', extensions: { code: 'RATE_LIMITED' } }],
    });
    await limited.app.close();
  });

  it('shares one token bucket between the REST and GraphQL endpoints', async () => {
    const now = 1_000_000;
    const { app } = await buildMockSource({
      count: 1,
      apiKey: API_KEY,
      now: () => now,
      faults: { requestsPerSecond: 2 },
    });
    const rest = await app.inject({ url: '/api/v1/customers', headers: { 'x-api-key': API_KEY } });
    expect(rest.statusCode).toBe(200);
    const first = await query(app);
    expect(first.status).toBe(200);
    expect(first.headers['ratelimit-remaining']).toBe('0');
    const second = await query(app);
    expect(second.status).toBe(429);
    expect(second.headers['retry-after']).toBe('1');
    expect(second.body.errors?.[0]?.extensions?.code).toBe('RATE_LIMITED');
    await app.close();
  });

  it('leaves the REST endpoint as it was: the same statuses with GraphQL faults on as without', async () => {
    const statuses = async (faults: FaultOptions) => {
      const { app } = await buildMockSource({ count: 1, apiKey: API_KEY, seed: 11, faults });
      const seen: number[] = [];
      for (let i = 0; i < 200; i++)
        seen.push(
          (await app.inject({ url: '/api/v1/customers', headers: { 'x-api-key': API_KEY } })).statusCode,
        );
      await app.close();
      return seen;
    };
    const plain = await statuses({ errorRate: 0.2, rateLimitedRate: 0.1 });
    const withGraphql = await statuses({
      errorRate: 0.2,
      rateLimitedRate: 0.1,
      graphqlErrorRate: 0.3,
      graphqlPartialRate: 0.3,
    });
    expect(withGraphql).toEqual(plain);
    expect(plain.filter((s) => s !== 200).length).toBeGreaterThan(0);
  });

  it('refuses GraphQL fault rates that are out of range or push the total over 1', () => {
    for (const faults of [
      { graphqlErrorRate: 1.5 },
      { graphqlPartialRate: -0.1 },
      { errorRate: 0.6, graphqlErrorRate: 0.5 },
    ]) {
      let error: unknown;
      try {
        resolveFaults(faults);
      } catch (caught) {
        error = caught;
      }
      expect(hasErrorCode(error, 'FERRY_ERR_USAGE')).toBe(true);
    }
    expect(() => resolveFaults({ errorRate: 0.6, graphqlErrorRate: 0.5 })).toThrow(
      /errorRate \+ rateLimitedRate \+ lostAckRate \+ graphqlErrorRate \+ graphqlPartialRate/,
    );
  });
});
