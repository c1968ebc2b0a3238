import { afterEach, describe, expect, it } from 'vitest';
import { authInterceptor } from '../../auth/auth-interceptor.ts';
import { createOAuthClientCredentials } from '../../auth/oauth-client-credentials.ts';
import { originOf } from '../../auth/origin.ts';
import type { OutgoingRecord } from '../../core/connector-types.ts';
import { FerryError } from '../../core/errors.ts';
import { idempotencyKeyFor, versionKeyFor } from '../../engine/idempotency-key.ts';
import { classify } from '../../http/classify.ts';
import { composeSend } from '../../http/compose.ts';
import { createHttpTransport } from '../../http/http-transport.ts';
import { type MockDestinationOptions, startMockDestination } from '../../mocks/mock-destination.ts';
import { EXAMPLE_ORDER } from '../../mocks/order-schema.ts';
import { retryInterceptor } from '../../resilience/retry-interceptor.ts';
import { createRestSink, type RestLookupOptions, type RestSink } from './rest-sink.ts';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

async function sinkAgainst(
  options: MockDestinationOptions,
  sinkOptions: {
    idempotency?: boolean;
    lookup?: boolean;
    lookupOptions?: (ordersUrl: string) => RestLookupOptions;
    /** Updates to `${ordersUrl}/{orderId}`; deletes there too. */
    changes?: { fetchFirst?: boolean; keep?: readonly string[] };
    /** Stands between the sink and the destination: may drop answers the destination sent. */
    wrap?: (send: ReturnType<typeof composeSend>) => ReturnType<typeof composeSend>;
  } = {},
) {
  const destination = await startMockDestination(options);
  const transport = createHttpTransport({ connections: 4 });
  const auth = createOAuthClientCredentials({
    tokenUrl: destination.tokenUrl,
    clientId: destination.clientId,
    clientSecret: destination.clientSecret,
    clientAuth: 'client_secret_basic',
    allowedOrigins: [originOf(destination.ordersUrl)],
  });
  const idempotencyHeader = sinkOptions.idempotency === false ? null : 'Idempotency-Key';
  const lookup =
    sinkOptions.lookup === false
      ? undefined
      : (sinkOptions.lookupOptions?.(destination.ordersUrl) ?? { url: `${destination.ordersUrl}/{orderId}` });
  // Wired as build-integration does: with a lookup, an ambiguous POST is resent only after the lookup.
  let sink: RestSink | undefined;
  const send = composeSend(
    sinkOptions.wrap ? { send: sinkOptions.wrap(transport.send), close: transport.close } : transport,
    [
      retryInterceptor({
        maxAttempts: 5,
        baseDelayMs: 1,
        maxDelayMs: 5,
        idempotencyKeyHeader: lookup ? null : idempotencyHeader,
        canRetry: (request) => sink?.canResend(request) ?? false,
      }),
      authInterceptor(auth),
    ],
  );
  sink = createRestSink({
    url: destination.ordersUrl,
    method: 'POST',
    send,
    idempotencyHeader,
    ...(lookup ? { lookup } : {}),
    classify: (response) => classify({ response }),
    ...(sinkOptions.changes
      ? {
          update: {
            url: `${destination.ordersUrl}/{orderId}`,
            method: 'PUT' as const,
            fetchFirst: sinkOptions.changes.fetchFirst ?? true,
            keep: sinkOptions.changes.keep ?? ['orderDate'],
          },
          remove: { url: `${destination.ordersUrl}/{orderId}` },
        }
      : {}),
  });
  cleanups.push(async () => {
    await transport.close();
    await destination.close();
  });
  return { sink, destination };
}

function order(id: string, overrides: Record<string, unknown> = {}): OutgoingRecord {
  const body = {
    ...EXAMPLE_ORDER,
    orderId: `ORD-${id}`,
    customerInfo: { ...EXAMPLE_ORDER.customerInfo, id },
    ...overrides,
  };
  return { key: id, idempotencyKey: idempotencyKeyFor('test', id), value: body };
}

describe('REST sink against the mock order API', () => {
  it('delivers an order with a token fetched on demand', async () => {
    const { sink, destination } = await sinkAgainst({});
    const outcome = await sink.send(order('1'));
    expect(outcome).toMatchObject({ state: 'delivered' });
    expect(destination.orders().map((o) => o.orderId)).toEqual(['ORD-1']);
  });

  it('sends the JSON text the engine already wrote for the value, byte for byte', async () => {
    const bodies: string[] = [];
    const { sink, destination } = await sinkAgainst(
      {},
      {
        wrap: (send) => (request) => {
          if (request.method === 'POST' && typeof request.body === 'string') bodies.push(request.body);
          return send(request);
        },
      },
    );
    const record = order('1');
    const json = JSON.stringify(record.value, null, 1);
    expect(await sink.send({ ...record, json })).toMatchObject({ state: 'delivered' });
    expect(bodies).toEqual([json]);
    expect(destination.orders().map((o) => o.orderId)).toEqual(['ORD-1']);
  });

  it('fails a record the destination rejects, with its field-level reasons', async () => {
    const { sink } = await sinkAgainst({});
    const outcome = await sink.send(order('2', { orderDate: 'yesterday' }));
    expect(outcome.state).toBe('failed');
    if (outcome.state !== 'failed') return;
    expect(outcome.reasons[0]).toMatchObject({ code: 'destination_400' });
    expect(outcome.refused).toBe(true);
    expect(outcome.reasons.some((r) => r.field === 'orderDate' && r.code === 'destination_field')).toBe(true);
  });

  it('treats a 409 for the very same order as delivered, and a different order with that id as failed', async () => {
    const { sink } = await sinkAgainst({ honourIdempotency: false });
    await sink.send(order('3'));
    const same = await sink.send(order('3'));
    expect(same).toMatchObject({ state: 'delivered' });
    const other = await sink.send(order('3', { orderDate: '2030-01-01T00:00:00Z' }));
    expect(other).toMatchObject({
      state: 'failed',
      reasons: [{ code: 'destination_holds_different', message: expect.stringContaining('409') }],
    });
  });

  it('with an idempotency key and no lookup, resends after lost acknowledgements never store a second order', async () => {
    const { sink, destination } = await sinkAgainst({ faults: { lostAckRate: 1 } }, { lookup: false });
    // Every answer is dropped: each retry carries the same key, so the order is stored once, and the
    // record ends failed (retries exhausted) rather than looping or duplicating.
    const outcome = await sink.send(order('4'));
    expect(outcome.state).toBe('failed');
    expect(destination.stats().lostAcks).toBe(5);
    expect(destination.orders().filter((o) => o.orderId === 'ORD-4')).toHaveLength(1);
  });

  it('without an idempotency key, a lost acknowledgement is looked up instead of resent', async () => {
    const { sink, destination } = await sinkAgainst(
      { honourIdempotency: false, allowDuplicates: true, faults: { lostAckRate: 1 } },
      { idempotency: false },
    );
    const outcome = await sink.send(order('5'));
    expect(outcome).toMatchObject({ state: 'delivered' });
    expect(destination.orders().filter((o) => o.orderId === 'ORD-5')).toHaveLength(1);
  });

  it('without an idempotency key or a lookup, an ambiguous failure fails the record rather than risk a duplicate', async () => {
    const { sink, destination } = await sinkAgainst(
      { honourIdempotency: false, allowDuplicates: true, faults: { lostAckRate: 1 } },
      { idempotency: false, lookup: false },
    );
    const outcome = await sink.send(order('6'));
    expect(outcome.state).toBe('failed');
    expect(destination.orders().filter((o) => o.orderId === 'ORD-6')).toHaveLength(1);
  });

  it('looks a record up: found and equal, found and different, not found', async () => {
    const { sink } = await sinkAgainst({});
    await sink.send(order('7'));
    expect(await sink.lookup!(order('7'))).toMatchObject({ found: true, matches: true });
    expect(await sink.lookup!(order('7', { orderDate: '2030-01-01T00:00:00Z' }))).toMatchObject({
      found: true,
      matches: false,
    });
    expect(await sink.lookup!(order('8'))).toEqual({ found: false });
  });

  it('with a lookup, a 500 after the order was stored is looked up, not resent, when the destination ignores keys', async () => {
    const { sink, destination } = await sinkAgainst({
      honourIdempotency: false,
      allowDuplicates: true,
      faults: { errorAfterStoreRate: 1 },
    });
    const outcome = await sink.send(order('9'));
    expect(outcome).toMatchObject({ state: 'delivered' });
    expect(destination.stats().errorsAfterStore).toBe(1);
    expect(destination.orders().filter((o) => o.orderId === 'ORD-9')).toHaveLength(1);
  });

  it('with a lookup, a reset before the order was stored is resent after the lookup finds nothing', async () => {
    const { sink, destination } = await sinkAgainst({ faults: { errorRate: 0.5 }, seed: 3 });
    for (const id of ['10', '11', '12', '13', '14', '15']) {
      expect(await sink.send(order(id))).toMatchObject({ state: 'delivered' });
    }
    expect(destination.stats().injectedErrors).toBeGreaterThan(0);
    expect(destination.stats().duplicates).toBe(0);
    expect(destination.stats().distinctOrderIds).toBe(6);
  });

  it('looks a record up in a collection filtered by a query: 200 with an empty list is not found, a list is found', async () => {
    const { sink } = await sinkAgainst(
      {},
      { lookupOptions: (ordersUrl) => ({ url: `${ordersUrl}?orderId={orderId}`, recordsPath: 'orders' }) },
    );
    expect(await sink.lookup!(order('16'))).toEqual({ found: false });
    await sink.send(order('16'));
    await sink.send(order('17'));
    expect(await sink.lookup!(order('16'))).toMatchObject({ found: true, matches: true });
    expect(await sink.lookup!(order('16', { orderDate: '2030-01-01T00:00:00Z' }))).toMatchObject({
      found: true,
      matches: false,
    });
  });

  it('reconciles a 422 idempotency_key_reused: delivered when the lookup finds it, new key allowed when not', async () => {
    const { sink, destination } = await sinkAgainst({ saveRejections: true });
    // The key is spent on a body the destination refused and kept the refusal for.
    const refused = await sink.send(order('18', { orderDate: 'yesterday' }));
    expect(refused).toMatchObject({
      state: 'failed',
      reasons: expect.arrayContaining([expect.objectContaining({ code: 'destination_400' })]),
    });
    const fixed = await sink.send(order('18'));
    expect(fixed).toMatchObject({
      state: 'failed',
      reasons: expect.arrayContaining([expect.objectContaining({ code: 'destination_422' })]),
      newKeySafe: true,
    });

    await sink.send(order('19'));
    const later = await sink.send(order('19', { orderDate: '2030-01-01T00:00:00Z' }));
    expect(later).toMatchObject({
      state: 'failed',
      reasons: [{ code: 'destination_holds_different', message: expect.stringContaining('422') }],
    });
    expect(later).not.toHaveProperty('newKeySafe');
    expect(destination.orders().map((o) => o.orderId)).toEqual(['ORD-19']);
  });

  it('treats a 422 idempotency_key_reused for a body equal but for fields not compared as delivered', async () => {
    const { sink } = await sinkAgainst(
      {},
      { lookupOptions: (ordersUrl) => ({ url: `${ordersUrl}/{orderId}`, ignoreFields: ['orderDate'] }) },
    );
    await sink.send(order('20'));
    const again = await sink.send(order('20', { orderDate: '2030-01-01T00:00:00Z' }));
    expect(again).toMatchObject({ state: 'delivered' });
  });
});

describe('REST sink: updates and deletes', () => {
  const version = (id: string, name: string, overrides: Record<string, unknown> = {}): OutgoingRecord => {
    const base = order(id, overrides);
    const value = { ...(base.value as object), customerInfo: { ...EXAMPLE_ORDER.customerInfo, id, name } };
    return {
      ...base,
      value,
      operation: 'update',
      version: name,
      idempotencyKey: versionKeyFor('test', id, 0, 'update', name),
    };
  };
  const nameOf = (
    destination: { orders(): { orderId: string; customerInfo: { name: string } }[] },
    id: string,
  ) => destination.orders().find((o) => o.orderId === `ORD-${id}`)?.customerInfo.name;

  it('replaces the order under If-Match, keeping the fields an update never changes', async () => {
    const { sink, destination } = await sinkAgainst({}, { changes: {} });
    await sink.send(order('u1'));
    const outcome = await sink.send(version('u1', 'Jane Roe', { orderDate: '2031-01-01T00:00:00Z' }));
    expect(outcome).toMatchObject({ state: 'delivered' });
    expect(nameOf(destination, 'u1')).toBe('Jane Roe');
    expect(destination.orders()[0]?.orderDate).toBe(EXAMPLE_ORDER.orderDate);
    expect(destination.stats()).toMatchObject({ updates: 1, preconditionFailed: 0 });
    // The same version again: the destination holds it, nothing is sent.
    expect(await sink.send(version('u1', 'Jane Roe'))).toMatchObject({
      state: 'delivered',
      note: 'the destination already holds this version',
    });
    expect(destination.stats().updates).toBe(1);
  });

  it('reads again after a 412 when its own resent write had gone through, and writes nothing twice', async () => {
    // The first PUT reaches the destination, its answer is lost; the retry names a version that is gone.
    let dropped = false;
    const { sink, destination } = await sinkAgainst(
      { honourIdempotency: false },
      {
        changes: {},
        wrap: (send) => async (request) => {
          const response = await send(request);
          if (request.method === 'PUT' && !dropped) {
            dropped = true;
            throw new FerryError('FERRY_ERR_HTTP_TRANSIENT', 'socket hang up', { details: { sent: true } });
          }
          return response;
        },
      },
    );
    await sink.send(order('u2'));
    const outcome = await sink.send(version('u2', 'After Reset'));
    expect(outcome).toMatchObject({ state: 'delivered' });
    expect(destination.stats()).toMatchObject({ updates: 1, preconditionFailed: 1 });
    expect(nameOf(destination, 'u2')).toBe('After Reset');
  });

  it('creates again, under the version key, an order the destination no longer has', async () => {
    const { sink, destination } = await sinkAgainst({}, { changes: {} });
    const outcome = await sink.send(version('u3', 'Reborn'));
    expect(outcome).toMatchObject({
      state: 'delivered',
      note: 'created again: the destination no longer had it',
    });
    expect(nameOf(destination, 'u3')).toBe('Reborn');
  });

  it('sends the update blind without fetch_first', async () => {
    const { sink, destination } = await sinkAgainst({}, { changes: { fetchFirst: false } });
    await sink.send(order('u4'));
    expect(await sink.send(version('u4', 'Blind'))).toMatchObject({ state: 'delivered' });
    expect(destination.stats()).toMatchObject({
      updates: 1,
      requests: expect.not.objectContaining({ 'GET /api/v2/orders/:orderId': expect.anything() }),
    });
  });

  it('deletes an order, and counts one already gone as deleted', async () => {
    const { sink, destination } = await sinkAgainst({}, { changes: {} });
    await sink.send(order('d1'));
    const removal: OutgoingRecord = {
      ...order('d1'),
      operation: 'delete',
      idempotencyKey: versionKeyFor('test', 'd1', 0, 'delete', 'x'),
    };
    expect(await sink.send(removal)).toMatchObject({ state: 'delivered' });
    expect(destination.orders()).toEqual([]);
    expect(await sink.send({ ...removal, idempotencyKey: 'another' })).toMatchObject({
      state: 'delivered',
      note: 'the destination did not have it',
    });
  });
});
