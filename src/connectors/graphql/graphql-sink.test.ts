import { afterEach, describe, expect, it } from 'vitest';
import {
  type GraphqlOrder,
  type GraphqlOrderApi,
  type GraphqlOrderApiOptions,
  startGraphqlOrderApi,
} from '../../../test/support/graphql-order-api.ts';
import type { OutgoingRecord, SinkConnector } from '../../core/connector-types.ts';
import { FerryError } from '../../core/errors.ts';
import { graphqlSink } from './sink-spec.ts';
import { testContext } from './test-context.ts';

const MUTATION = `mutation CreateOrder($input: OrderInput!) {
  createOrder(input: $input) { order { orderId } userErrors { field message code } }
}`;

const LOOKUP = `query Order($id: ID!) {
  order(orderId: $id) {
    orderId
    customerInfo { id name contactEmail contactPhone }
    shippingAddress { line1 city region postalCode }
    orderDate
  }
}`;

function order(id: string, overrides: Partial<GraphqlOrder> = {}): GraphqlOrder {
  return {
    orderId: `ORD-${id}`,
    customerInfo: { id, name: 'Zoë Quinn', contactEmail: `c${id}@example.com` },
    shippingAddress: { line1: '1 Main St', city: 'Springfield', region: 'IL', postalCode: '62701' },
    orderDate: '2026-01-31T09:00:00Z',
    ...overrides,
  };
}

function record(value: GraphqlOrder, key = value.customerInfo.id): OutgoingRecord {
  return { key, idempotencyKey: `ferry-test-${key}`, value };
}

let api: GraphqlOrderApi | undefined;
const contexts: ReturnType<typeof testContext>[] = [];
afterEach(async () => {
  await api?.close();
  api = undefined;
  await Promise.all(contexts.splice(0).map((c) => c.close()));
});

async function sinkFor(
  apiOptions: GraphqlOrderApiOptions = {},
  extra: Record<string, unknown> = {},
  ctxOverrides: Parameters<typeof testContext>[0] = {},
): Promise<{ sink: SinkConnector; api: GraphqlOrderApi; ctx: ReturnType<typeof testContext> }> {
  api = await startGraphqlOrderApi(apiOptions);
  const ctx = testContext({ allowInsecureHttp: true, ...ctxOverrides });
  contexts.push(ctx);
  const options = graphqlSink.options.parse({
    url: api.url,
    mutation: MUTATION,
    result_path: 'createOrder.order.orderId',
    user_errors_path: 'createOrder.userErrors',
    lookup: { query: LOOKUP, variables: { id: '{orderId}' }, result_path: 'order' },
    ...extra,
  });
  return { sink: await graphqlSink.create(options, ctx), api, ctx };
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

describe('graphql sink: sending', () => {
  it('delivers a record through the mutation, the mapped value in $input', async () => {
    const { sink, api } = await sinkFor();
    expect(await sink.send(record(order('1')))).toEqual({ state: 'delivered', attempts: 1 });
    expect(api.orders()).toEqual([order('1')]);
  });

  it('fails a refused input as refused, naming the field inside the value', async () => {
    const { sink, api } = await sinkFor();
    const outcome = await sink.send(
      record(order('2', { customerInfo: { id: '2', name: 'A', contactEmail: 'not-an-email' } })),
    );
    expect(outcome).toEqual({
      state: 'failed',
      attempts: 1,
      refused: true,
      reasons: [
        {
          code: 'graphql_bad_user_input',
          message: expect.stringContaining(
            'the destination refused the record: contactEmail is not a plausible email address at createOrder (BAD_USER_INPUT)',
          ),
        },
        {
          field: 'customerInfo.contactEmail',
          code: 'destination_field',
          message: expect.stringContaining('contactEmail is not a plausible email address'),
        },
      ],
    });
    expect(api.orders()).toEqual([]);
  });

  it("fails a value the API's input type refuses as refused, naming the missing field", async () => {
    const { sink } = await sinkFor();
    const { orderDate: _, ...withoutDate } = order('3');
    const outcome = await sink.send(record(withoutDate as GraphqlOrder, '3'));
    expect(outcome).toMatchObject({
      state: 'failed',
      refused: true,
      reasons: [
        { code: 'graphql_error', message: expect.stringContaining('Variable "$input" has invalid value') },
        { field: 'orderDate', code: 'destination_field' },
      ],
    });
  });

  it('stops with FERRY_ERR_GRAPHQL_INVALID when the API does not accept the mutation', async () => {
    const { sink } = await sinkFor({}, { mutation: MUTATION.replace('orderId }', 'orderNumber }') });
    const error = await failure(sink.send(record(order('4'))));
    expect(error.code).toBe('FERRY_ERR_GRAPHQL_INVALID');
    expect(error.message).toContain('Cannot query field "orderNumber" on type "Order"');
  });

  it('stops with FERRY_ERR_HTTP_UNAUTHORIZED when the API refuses the credentials', async () => {
    const { sink } = await sinkFor({ token: 'right' }, { auth: { type: 'bearer', token: 'wrong' } });
    const error = await failure(sink.send(record(order('5'))));
    expect(error.code).toBe('FERRY_ERR_HTTP_UNAUTHORIZED');
    expect(error.message).toContain('not authenticated (UNAUTHENTICATED)');
  });

  it('fails without calling it refused when the answer does not say the record was stored', async () => {
    const { sink } = await sinkFor({}, { result_path: 'createOrder.order.shipmentId' });
    const outcome = await sink.send(record(order('6')));
    expect(outcome).toEqual({
      state: 'failed',
      attempts: 1,
      reasons: [
        {
          code: 'graphql_no_result',
          message:
            '200 from the destination without errors, but data.createOrder.order.shipmentId is missing (result_path)',
        },
      ],
    });
  });
});

describe('graphql sink: exactly once', () => {
  it('looks the record up instead of resending after an error that came after the write', async () => {
    const { sink, api } = await sinkFor({ fault: (call) => (call === 1 ? 'error_after_store' : undefined) });
    const outcome = await sink.send(record(order('7')));
    expect(outcome).toEqual({
      state: 'delivered',
      attempts: 1,
      note: 'the outcome was unclear; the lookup found it delivered',
    });
    expect(api.orders()).toHaveLength(1);
    expect(api.stats()).toMatchObject({ mutations: 1, lookups: 1 });
  });

  it('looks the record up instead of resending after the connection dropped after the write', async () => {
    const { sink, api } = await sinkFor({ fault: (call) => (call === 1 ? 'drop_after_store' : undefined) });
    expect(await sink.send(record(order('8')))).toMatchObject({ state: 'delivered' });
    expect(api.orders()).toHaveLength(1);
  });

  it('resends once the lookup says a failed mutation stored nothing', async () => {
    const { sink, api } = await sinkFor({ fault: (call) => (call === 1 ? 'unavailable' : undefined) });
    expect(await sink.send(record(order('9')))).toEqual({ state: 'delivered', attempts: 1 });
    expect(api.orders()).toHaveLength(1);
    expect(api.stats()).toMatchObject({ mutations: 2, lookups: 1 });
  });

  it('never resends an unclear mutation without a lookup or an idempotency key', async () => {
    const { sink, api } = await sinkFor(
      { fault: (call) => (call === 1 ? 'error_after_store' : undefined) },
      { lookup: undefined, idempotency: { header: null } },
    );
    const outcome = await sink.send(record(order('10')));
    expect(outcome).toMatchObject({
      state: 'failed',
      reasons: [{ code: 'graphql_internal_server_error' }],
    });
    expect(outcome).not.toHaveProperty('refused');
    expect(api.stats().mutations).toBe(1);
  });

  it('reconciles a duplicate the API reports as a userError: the same order is delivered', async () => {
    const { sink, api } = await sinkFor();
    await sink.send(record(order('11')));
    expect(await sink.send(record(order('11')))).toEqual({
      state: 'delivered',
      attempts: 1,
      note: 'reconciled: the destination already had this record',
    });
    expect(api.orders()).toHaveLength(1);
  });

  it('fails a duplicate holding another order, and one reported as a CONFLICT error without a lookup', async () => {
    const { sink } = await sinkFor({ duplicates: 'error' });
    await sink.send(record(order('12')));
    const other = order('12', { orderDate: '2026-02-01T00:00:00Z' });
    expect(await sink.send(record(other))).toEqual({
      state: 'failed',
      attempts: 1,
      reasons: [
        {
          code: 'destination_holds_different',
          message: 'the destination reports a conflict and holds a different record',
        },
      ],
    });
    await api?.close();
    const { sink: plain } = await sinkFor({ duplicates: 'error' }, { lookup: undefined });
    await plain.send(record(order('13')));
    expect(await plain.send(record(order('13')))).toMatchObject({
      state: 'failed',
      reasons: [
        {
          code: 'graphql_conflict',
          message: expect.stringMatching(
            /already been taken .*configure destination.lookup so ferry can compare$/,
          ),
        },
        { field: 'orderId', code: 'destination_field' },
      ],
    });
  });

  it('looks records up by the query, leaving compare: false fields out of the comparison', async () => {
    const { sink } = await sinkFor({}, {}, { ignoreFields: ['orderDate'] });
    expect(await sink.lookup!(record(order('14')))).toEqual({ found: false });
    await sink.send(record(order('14')));
    const later = order('14', { orderDate: '2027-01-01T00:00:00Z' });
    expect(await sink.lookup!(record(later))).toMatchObject({ found: true, matches: true });
    const moved = order('14', { shippingAddress: { ...order('14').shippingAddress, city: 'Shelbyville' } });
    expect(await sink.lookup!(record(moved))).toMatchObject({ found: true, matches: false });
  });
});

describe('graphql sink: probe (ferry check)', () => {
  it('looks up a key that cannot exist, proving the credentials and the lookup query', async () => {
    const { sink, api } = await sinkFor({ token: 'right' }, { auth: { type: 'bearer', token: 'right' } });
    expect(await sink.probe!()).toEqual({
      ok: true,
      detail: `POST ${api.url} (lookup of a key that does not exist): answered 200`,
    });
    expect(api.orders()).toEqual([]);
  });

  it('says the credentials were refused, and asks { __typename } without a lookup', async () => {
    const { sink } = await sinkFor(
      { token: 'right' },
      { auth: { type: 'bearer', token: 'wrong' }, lookup: undefined },
    );
    expect(await sink.probe!()).toMatchObject({
      ok: false,
      code: 'FERRY_ERR_HTTP_UNAUTHORIZED',
      detail: expect.stringMatching(
        /\(\{ __typename \}\): credentials refused: 401: not authenticated \(UNAUTHENTICATED\)$/,
      ),
    });
  });
});

describe('graphql sink: config checks', () => {
  function issues(extra: Record<string, unknown>) {
    const parsed = graphqlSink.options.safeParse({
      url: 'http://127.0.0.1:1/graphql',
      mutation: MUTATION,
      ...extra,
    });
    expect(parsed.success).toBe(false);
    return parsed.error!.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
  }

  it('names the line and column of a syntax error, and refuses a query where a mutation belongs', () => {
    expect(
      issues({ mutation: 'mutation ($input: OrderInput!) {\n  createOrder(input: $input { orderId }\n}' }),
    ).toEqual([
      {
        path: 'mutation',
        message: expect.stringMatching(/^line 2, column 29 of the text: GraphQL syntax error: /),
      },
    ]);
    expect(issues({ mutation: '{ order(orderId: "1") { orderId } }' })[0]?.message).toContain(
      'expected a mutation, found a query',
    );
  });

  it('wants the value variable declared, and checks the lookup query and its variables', () => {
    expect(issues({ value_variable: 'order' })).toEqual([
      {
        path: 'value_variable',
        message: expect.stringMatching(
          /^the mutation declares no \$order, which ferry fills with the mapped record: .* or set value_variable to the variable you declared \(\$input\)$/,
        ),
      },
      {
        path: 'variables',
        message: 'the mutation requires $input: OrderInput!, which nothing fills: give it under variables',
      },
    ]);
    expect(
      issues({ lookup: { query: 'query ($id: ID!) { order(orderId: $id) { orderId } }', variables: {} } }),
    ).toEqual([
      {
        path: 'lookup.variables',
        message: 'the query requires $id: ID!, which nothing fills: give it under variables',
      },
    ]);
    expect(issues({ lookup: { query: 'query { order(', variables: {} } })[0]?.path).toBe('lookup.query');
  });
});
