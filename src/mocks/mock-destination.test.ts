import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  buildMockDestination,
  type MockDestinationHandle,
  startMockDestination,
} from './mock-destination.ts';
import { EXAMPLE_ORDER, type MockOrder } from './order-schema.ts';

const CLIENT = { clientId: 'client-1', clientSecret: 's3cret value' };
const FORM = { 'content-type': 'application/x-www-form-urlencoded' };

function basic(id: string, secret: string): string {
  const encode = (s: string) => encodeURIComponent(s).replace(/%20/g, '+');
  return `Basic ${Buffer.from(`${encode(id)}:${encode(secret)}`).toString('base64')}`;
}

function order(id: string): MockOrder {
  return { ...EXAMPLE_ORDER, orderId: `ORD-${id}`, customerInfo: { ...EXAMPLE_ORDER.customerInfo, id } };
}

async function tokenFor(app: FastifyInstance): Promise<string> {
  const r = await app.inject({
    method: 'POST',
    url: '/oauth/token',
    headers: { ...FORM, authorization: basic(CLIENT.clientId, CLIENT.clientSecret) },
    payload: 'grant_type=client_credentials',
  });
  return (JSON.parse(r.body) as { access_token: string }).access_token;
}

function post(app: FastifyInstance, token: string, body: unknown, key?: string) {
  return app.inject({
    method: 'POST',
    url: '/api/v2/orders',
    headers: { authorization: `Bearer ${token}`, ...(key ? { 'idempotency-key': key } : {}) },
    payload: body as Record<string, unknown>,
  });
}

describe('mock destination token endpoint', () => {
  let app: FastifyInstance;
  let now = 5_000_000;
  beforeAll(async () => {
    ({ app } = await buildMockDestination({ ...CLIENT, tokenTtlSeconds: 2, now: () => now }));
  });
  afterAll(() => app.close());

  it('issues a Bearer token to client_secret_basic with its lifetime and scope', async () => {
    const r = await app.inject({
      method: 'POST',
      url: '/oauth/token',
      headers: { ...FORM, authorization: basic(CLIENT.clientId, CLIENT.clientSecret) },
      payload: 'grant_type=client_credentials&scope=orders%3Awrite',
    });
    expect(r.statusCode).toBe(200);
    expect(r.headers['cache-control']).toBe('no-store');
    expect(JSON.parse(r.body)).toMatchObject({ token_type: 'Bearer', expires_in: 2, scope: 'orders:write' });
  });

  it('issues a token to client_secret_post too', async () => {
    const payload = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: CLIENT.clientId,
      client_secret: CLIENT.clientSecret,
    });
    const r = await app.inject({
      method: 'POST',
      url: '/oauth/token',
      headers: FORM,
      payload: payload.toString(),
    });
    expect(r.statusCode).toBe(200);
    expect(JSON.parse(r.body).access_token).toMatch(/^[\w-]{20,}$/);
  });

  it('refuses wrong credentials with 401 invalid_client, either way', async () => {
    const viaBasic = await app.inject({
      method: 'POST',
      url: '/oauth/token',
      headers: { ...FORM, authorization: basic(CLIENT.clientId, 'wrong') },
      payload: 'grant_type=client_credentials',
    });
    expect(viaBasic.statusCode).toBe(401);
    expect(JSON.parse(viaBasic.body).error).toBe('invalid_client');
    const viaPost = await app.inject({
      method: 'POST',
      url: '/oauth/token',
      headers: FORM,
      payload: `grant_type=client_credentials&client_id=other&client_secret=${encodeURIComponent(CLIENT.clientSecret)}`,
    });
    expect(viaPost.statusCode).toBe(401);
    expect(JSON.parse(viaPost.body).error).toBe('invalid_client');
  });

  it('answers OAuth errors for a missing or unsupported grant type', async () => {
    const auth = { ...FORM, authorization: basic(CLIENT.clientId, CLIENT.clientSecret) };
    const missing = await app.inject({
      method: 'POST',
      url: '/oauth/token',
      headers: auth,
      payload: 'scope=x',
    });
    expect([missing.statusCode, JSON.parse(missing.body).error]).toEqual([400, 'invalid_request']);
    const password = await app.inject({
      method: 'POST',
      url: '/oauth/token',
      headers: auth,
      payload: 'grant_type=password',
    });
    expect([password.statusCode, JSON.parse(password.body).error]).toEqual([400, 'unsupported_grant_type']);
  });

  it('refuses a missing, unknown or expired token with 401 and WWW-Authenticate', async () => {
    const token = await tokenFor(app);
    expect((await post(app, token, order('t1'))).statusCode).toBe(201);
    now += 2000;
    for (const t of [token, 'unknown-token']) {
      const r = await post(app, t, order('t2'));
      expect(r.statusCode).toBe(401);
      expect(r.headers['www-authenticate']).toMatch(/^Bearer .*error="invalid_token"/);
    }
    const none = await app.inject({ method: 'POST', url: '/api/v2/orders', payload: order('t3') });
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toContain('error="invalid_token"');
    expect((await post(app, await tokenFor(app), order('t2'))).statusCode).toBe(201);
  });
});

describe('mock destination orders', () => {
  let app: FastifyInstance;
  let token: string;
  let destination: Awaited<ReturnType<typeof buildMockDestination>>;
  beforeAll(async () => {
    destination = await buildMockDestination(CLIENT);
    app = destination.app;
    token = await tokenFor(app);
  });
  afterAll(() => app.close());

  it('stores a valid order, answers 201 with it, and serves it by orderId', async () => {
    const r = await post(app, token, order('100'));
    expect(r.statusCode).toBe(201);
    expect(JSON.parse(r.body)).toEqual(order('100'));
    expect(r.headers.location).toBe('/api/v2/orders/ORD-100');
    const got = await app.inject({
      url: '/api/v2/orders/ORD-100',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(JSON.parse(got.body)).toEqual(order('100'));
    const missing = await app.inject({
      url: '/api/v2/orders/ORD-nope',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(missing.statusCode).toBe(404);
  });

  it('refuses an invalid order with 400 and readable field paths, storing nothing', async () => {
    const before = destination.stats().ordersStored;
    const bad = {
      ...order('101'),
      note: 'extra',
      customerInfo: { id: 101, name: 'X', contactEmail: 'john.at.example.com' },
      shippingAddress: { line1: '1 Main St', city: 'Anytown', region: 'CA' },
    };
    const r = await post(app, token, bad);
    expect(r.statusCode).toBe(400);
    const body = JSON.parse(r.body) as { error: string; errors: { field: string; message: string }[] };
    expect(body.error).toBe('validation_failed');
    expect(body.errors.map((e) => e.field).sort()).toEqual([
      'customerInfo.contactEmail',
      'customerInfo.id',
      'note',
      'shippingAddress.postalCode',
    ]);
    expect(body.errors.find((e) => e.field === 'shippingAddress.postalCode')?.message).toBe('is required');
    expect(destination.stats().ordersStored).toBe(before);
  });

  it('answers a second order with the same orderId with 409 and the stored order', async () => {
    await post(app, token, order('102'));
    const again = await post(app, token, { ...order('102'), orderDate: '2024-01-01T00:00:00Z' });
    expect(again.statusCode).toBe(409);
    expect(JSON.parse(again.body)).toEqual({
      error: 'duplicate_order',
      orderId: 'ORD-102',
      existing: order('102'),
    });
  });

  it('replays the first response for a repeated Idempotency-Key without creating anything', async () => {
    const first = await post(app, token, order('103'), 'key-103');
    const stored = destination.stats().ordersStored;
    const replay = await post(app, token, order('103'), 'key-103');
    expect([replay.statusCode, replay.body]).toEqual([first.statusCode, first.body]);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(destination.stats().ordersStored).toBe(stored);
    expect(destination.stats().idempotentReplays).toBe(1);
    const reused = await post(app, token, order('104'), 'key-103');
    expect([reused.statusCode, JSON.parse(reused.body).error]).toEqual([422, 'idempotency_key_reused']);
  });

  it('does not save a 400 under its key, so the fixed order can be sent with the same key', async () => {
    const broken = await post(app, token, { ...order('105'), orderDate: 'yesterday' }, 'key-105');
    expect(broken.statusCode).toBe(400);
    const fixed = await post(app, token, order('105'), 'key-105');
    expect(fixed.statusCode).toBe(201);
  });

  it('lists stored orders in pages with a total and a next link', async () => {
    const auth = { authorization: `Bearer ${token}` };
    const all = destination.orders();
    const seen: MockOrder[] = [];
    let url: string | undefined = '/api/v2/orders?per_page=2';
    while (url) {
      const r: { body: string; headers: Record<string, unknown> } = await app.inject({ url, headers: auth });
      const page = JSON.parse(r.body) as { total: number; orders: MockOrder[] };
      expect(page.total).toBe(all.length);
      seen.push(...page.orders);
      const next: string | undefined = String(r.headers.link ?? '').match(/<([^>]+)>; rel="next"/)?.[1];
      url = next === undefined ? undefined : `${new URL(next).pathname}${new URL(next).search}`;
    }
    expect(seen).toEqual(all);
  });

  it('reports counters at /__admin/stats and forgets everything on /__admin/reset', async () => {
    const stats = JSON.parse((await app.inject({ url: '/__admin/stats' })).body);
    expect(stats).toMatchObject({ conflicts: 1, idempotentReplays: 1, duplicates: 0 });
    expect(stats.requests['POST /api/v2/orders']['201']).toBeGreaterThan(0);
    expect(stats.distinctOrderIds).toBe(stats.ordersStored);
    expect((await app.inject({ method: 'POST', url: '/__admin/reset' })).statusCode).toBe(204);
    expect(destination.stats()).toMatchObject({ ordersStored: 0, conflicts: 0, requests: {} });
    expect((await post(app, token, order('103'), 'key-103')).headers['idempotent-replayed']).toBeUndefined();
  });
});

describe('mock destination as a lookup-only destination', () => {
  it('creates a new order for every POST, same orderId and key or not, and lists the duplicates', async () => {
    const destination = await buildMockDestination({
      ...CLIENT,
      honourIdempotency: false,
      allowDuplicates: true,
    });
    const token = await tokenFor(destination.app);
    for (let i = 0; i < 3; i++)
      expect((await post(destination.app, token, order('7'), 'same-key')).statusCode).toBe(201);
    await post(destination.app, token, order('8'));
    expect(destination.stats()).toMatchObject({ ordersStored: 4, distinctOrderIds: 2, duplicates: 2 });
    const list = await destination.app.inject({
      url: '/api/v2/orders',
      headers: { authorization: `Bearer ${token}` },
    });
    expect((JSON.parse(list.body) as { orders: MockOrder[] }).orders.map((o) => o.orderId)).toEqual([
      'ORD-7',
      'ORD-7',
      'ORD-7',
      'ORD-8',
    ]);
    await destination.app.close();
  });
});

describe('mock destination faults', () => {
  let handle: MockDestinationHandle;
  beforeAll(async () => {
    handle = await startMockDestination({ ...CLIENT, faults: { lostAckRate: 1 } });
  });
  afterAll(() => handle.close());

  it('stores the order, then drops the connection without a response', async () => {
    const tokenResponse = await fetch(handle.tokenUrl, {
      method: 'POST',
      headers: { ...FORM, authorization: basic(CLIENT.clientId, CLIENT.clientSecret) },
      body: 'grant_type=client_credentials',
    });
    expect(tokenResponse.status).toBe(200);
    const { access_token } = (await tokenResponse.json()) as { access_token: string };
    const send = () =>
      fetch(handle.ordersUrl, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${access_token}`,
          'content-type': 'application/json',
          'idempotency-key': 'k',
        },
        body: JSON.stringify(order('900')),
      });
    await expect(send()).rejects.toThrow();
    expect(handle.stats()).toMatchObject({ ordersStored: 1, lostAcks: 1 });
    expect(handle.stats().requests['POST /api/v2/orders']).toEqual({ lost: 1 });
    expect(handle.orders()).toEqual([order('900')]);
    await expect(send()).rejects.toThrow();
    expect(handle.stats()).toMatchObject({ ordersStored: 1, lostAcks: 2, idempotentReplays: 1 });
  });

  it('draws the same faults for the same seed, at roughly the configured rates', async () => {
    const run = async () => {
      const d = await buildMockDestination({
        ...CLIENT,
        seed: 11,
        faults: { errorRate: 0.1, rateLimitedRate: 0.05, retryAfter: 'mixed' },
      });
      const token = await tokenFor(d.app);
      const statuses: number[] = [];
      for (let i = 0; i < 400; i++) statuses.push((await post(d.app, token, order(`f${i}`))).statusCode);
      await d.app.close();
      return { statuses, stats: d.stats() };
    };
    const a = await run();
    const b = await run();
    expect(a.statuses).toEqual(b.statuses);
    const errors = a.statuses.filter((s) => s === 500 || s === 503).length;
    const limited = a.statuses.filter((s) => s === 429).length;
    expect(errors).toBeGreaterThan(20);
    expect(errors).toBeLessThan(60);
    expect(limited).toBeGreaterThan(8);
    expect(limited).toBeLessThan(35);
    expect(a.stats).toMatchObject({
      injectedErrors: errors,
      rateLimited: limited,
      ordersStored: 400 - errors - limited,
    });
  });

  it('applies faults to the orders POST only, unless the token endpoint is opted in', async () => {
    const quiet = await buildMockDestination({ ...CLIENT, faults: { errorRate: 1 } });
    expect(await tokenFor(quiet.app)).toMatch(/\w/);
    await quiet.app.close();
    const noisy = await buildMockDestination({ ...CLIENT, faults: { errorRate: 1, tokenEndpoint: true } });
    const r = await noisy.app.inject({
      method: 'POST',
      url: '/oauth/token',
      headers: { ...FORM, authorization: basic(CLIENT.clientId, CLIENT.clientSecret) },
      payload: 'grant_type=client_credentials',
    });
    expect([500, 503]).toContain(r.statusCode);
    await noisy.app.close();
  });

  it('sends 429 with Retry-After past its rate limit, and rate-limit headers on every response', async () => {
    let now = 0;
    const d = await buildMockDestination({ ...CLIENT, now: () => now, faults: { requestsPerSecond: 3 } });
    const token = await tokenFor(d.app);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await post(d.app, token, order(`r${i}`));
      statuses.push(r.statusCode);
      expect(r.headers['ratelimit-limit']).toBe('3');
      expect(r.headers['x-ratelimit-limit']).toBe('3');
      if (r.statusCode === 429) expect(r.headers['retry-after']).toBe('1');
    }
    expect(statuses).toEqual([201, 201, 201, 429]);
    const lookup = await d.app.inject({
      url: '/api/v2/orders/ORD-r0',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(lookup.headers['ratelimit-remaining']).toBe('0');
    now += 1000;
    expect((await post(d.app, token, order('r3'))).statusCode).toBe(201);
    expect(d.stats().rateLimited).toBe(1);
    await d.app.close();
  });

  it('serves `capacity` requests at once, queues the next as many, and answers 503 past twice its capacity', async () => {
    const handle = await startMockDestination({ ...CLIENT, faults: { capacity: 2, latencyMs: 500 } });
    try {
      const tokenResponse = await fetch(handle.tokenUrl, {
        method: 'POST',
        headers: { ...FORM, authorization: basic(CLIENT.clientId, CLIENT.clientSecret) },
        body: 'grant_type=client_credentials',
      });
      const { access_token } = (await tokenResponse.json()) as { access_token: string };
      const headers = { authorization: `Bearer ${access_token}`, 'content-type': 'application/json' };
      const posts = [1, 2, 3, 4].map((i) =>
        fetch(handle.ordersUrl, { method: 'POST', headers, body: JSON.stringify(order(`c${i}`)) }),
      );
      // Lookups count against the capacity too: with four POSTs in flight this one is the fifth.
      await vi.waitFor(() => expect(handle.stats().peakInFlight).toBe(4));
      const refused = await fetch(`${handle.ordersUrl}/ORD-c1`, { headers });
      expect(refused.status).toBe(503);
      expect(await refused.json()).toMatchObject({ error: 'service_unavailable' });
      expect((await Promise.all(posts)).map((r) => r.status)).toEqual([201, 201, 201, 201]);
      expect(handle.stats()).toMatchObject({ overloaded: 1, peakInFlight: 4, ordersStored: 4 });
      expect((await fetch(`${handle.ordersUrl}/ORD-c1`, { headers })).status).toBe(200);
    } finally {
      await handle.close();
    }
  });
});

describe('mock destination: replacing and deleting orders', () => {
  let app: FastifyInstance;
  let destination: Awaited<ReturnType<typeof buildMockDestination>>;
  let token: string;
  beforeAll(async () => {
    destination = await buildMockDestination(CLIENT);
    app = destination.app;
    token = await tokenFor(app);
  });
  afterAll(() => app.close());

  const write = (
    method: 'PUT' | 'DELETE',
    id: string,
    options: { body?: unknown; key?: string; ifMatch?: string } = {},
  ) =>
    app.inject({
      method,
      url: `/api/v2/orders/${id}`,
      headers: {
        authorization: `Bearer ${token}`,
        ...(options.key ? { 'idempotency-key': options.key } : {}),
        ...(options.ifMatch ? { 'if-match': options.ifMatch } : {}),
      },
      ...(options.body === undefined ? {} : { payload: options.body as Record<string, unknown> }),
    });

  it('names each version with an ETag and refuses a write meant for another version with 412', async () => {
    const created = await post(app, token, order('p1'));
    const v1 = created.headers.etag as string;
    expect(v1).toMatch(/^"[0-9a-f]+"$/);
    expect(
      (
        await app.inject({
          method: 'GET',
          url: '/api/v2/orders/ORD-p1',
          headers: { authorization: `Bearer ${token}` },
        })
      ).headers.etag,
    ).toBe(v1);
    const renamed = { ...order('p1'), customerInfo: { ...order('p1').customerInfo, name: 'Jane Roe' } };
    const put = await write('PUT', 'ORD-p1', { body: renamed, ifMatch: v1 });
    expect(put.statusCode).toBe(200);
    const v2 = put.headers.etag as string;
    expect(v2).not.toBe(v1);
    // A write delayed from before: it names v1, which is no longer current.
    const stale = await write('PUT', 'ORD-p1', { body: order('p1'), ifMatch: v1 });
    expect(stale.statusCode).toBe(412);
    expect(JSON.parse(stale.body)).toMatchObject({ error: 'precondition_failed', etag: v2 });
    expect(destination.orders().find((o) => o.orderId === 'ORD-p1')?.customerInfo.name).toBe('Jane Roe');
    expect(destination.stats()).toMatchObject({ updates: 1, preconditionFailed: 1 });
  });

  it('validates a PUT as a POST, its orderId the one in the path, and never creates with it', async () => {
    await post(app, token, order('p2'));
    const invalid = await write('PUT', 'ORD-p2', { body: { ...order('p2'), orderDate: 'yesterday' } });
    expect(invalid.statusCode).toBe(400);
    const moved = await write('PUT', 'ORD-p2', { body: order('p3') });
    expect(moved.statusCode).toBe(400);
    expect(JSON.parse(moved.body).errors[0]).toMatchObject({ field: 'orderId' });
    expect((await write('PUT', 'ORD-nope', { body: order('nope') })).statusCode).toBe(404);
  });

  it('replays a repeated Idempotency-Key, and refuses it with another request', async () => {
    await post(app, token, order('p4'));
    const body = { ...order('p4'), shippingAddress: { ...order('p4').shippingAddress, city: 'Springfield' } };
    const first = await write('PUT', 'ORD-p4', { body, key: 'k-p4-v2' });
    // The retry of a write whose answer was lost: replayed, even though its If-Match would now fail.
    const again = await write('PUT', 'ORD-p4', { body, key: 'k-p4-v2', ifMatch: '"old"' });
    expect(again.statusCode).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.headers.etag).toBe(first.headers.etag);
    expect((await write('PUT', 'ORD-p4', { body: order('p4'), key: 'k-p4-v2' })).statusCode).toBe(422);
  });

  it('deletes an order once: 204, then 404, and a repeated key replays the 204', async () => {
    await post(app, token, order('p5'));
    expect((await write('DELETE', 'ORD-p5', { key: 'del-p5' })).statusCode).toBe(204);
    expect((await write('DELETE', 'ORD-p5', { key: 'del-p5' })).statusCode).toBe(204);
    expect((await write('DELETE', 'ORD-p5')).statusCode).toBe(404);
    expect(destination.orders().some((o) => o.orderId === 'ORD-p5')).toBe(false);
    expect(destination.stats().deletes).toBe(1);
  });
});

describe('mock destination: redelivered writes', () => {
  it('delivers a seeded share of writes again later; with If-Match a stale one is refused', async () => {
    const destination = await buildMockDestination({
      ...CLIENT,
      honourIdempotency: false,
      faults: { redeliverRate: 1, redeliverDelayMs: 20 },
    });
    const { app } = destination;
    try {
      const token = await tokenFor(app);
      const put = (body: MockOrder, ifMatch: string) =>
        app.inject({
          method: 'PUT',
          url: `/api/v2/orders/${body.orderId}`,
          headers: { authorization: `Bearer ${token}`, 'if-match': ifMatch },
          payload: body as unknown as Record<string, unknown>,
        });
      const named = (name: string) => ({
        ...order('r1'),
        customerInfo: { ...order('r1').customerInfo, name },
      });
      const v1 = (await post(app, token, order('r1'))).headers.etag as string;
      const v2 = (await put(named('Second'), v1)).headers.etag as string;
      await put(named('Third'), v2);
      // Both writes arrive a second time; the first names v1 and must not bring "Second" back.
      await vi.waitFor(() => expect(destination.stats().preconditionFailed).toBe(2));
      expect(destination.stats()).toMatchObject({ redelivered: 2, redeliveredApplied: 0 });
      expect(destination.orders()[0]?.customerInfo.name).toBe('Third');
    } finally {
      await app.close();
    }
  });

  it('applies a redelivered write again when nothing guards it, and counts it', async () => {
    const destination = await buildMockDestination({
      ...CLIENT,
      honourIdempotency: false,
      faults: { redeliverRate: 1, redeliverDelayMs: 5 },
    });
    try {
      const token = await tokenFor(destination.app);
      await post(destination.app, token, order('r2'));
      await destination.app.inject({
        method: 'PUT',
        url: '/api/v2/orders/ORD-r2',
        headers: { authorization: `Bearer ${token}` },
        payload: order('r2') as unknown as Record<string, unknown>,
      });
      await vi.waitFor(() => expect(destination.stats().redeliveredApplied).toBe(1));
      expect(destination.stats().updates).toBe(2);
    } finally {
      await destination.app.close();
    }
  });
});
