import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { HttpRequest } from '../core/http-types.ts';
import { classifyInterceptor } from '../http/classify-interceptor.ts';
import { createApiKeyAuth } from './api-key-auth.ts';
import { authInterceptor } from './auth-interceptor.ts';
import { createOAuthClientCredentials } from './oauth-client-credentials.ts';
import type { TokenRefreshReason } from './refreshable-auth-strategy.ts';
import { type SeenRequest, startTestServer, type TestServer, testSend } from './test-servers.ts';

const SECRET = 'cs-interceptor-secret-0042';
const API_KEY = 'ak-interceptor-key-7788';

let tokenServer: TestServer;
let api: TestServer;
let other: TestServer;
let issued = 0;
/** Tokens the API accepts; a test revokes one to simulate expiry on the server's side. */
const valid = new Set<string>();
let alwaysUnauthorized = false;
/** Refuses as GraphQL APIs do: a 200 whose errors say UNAUTHENTICATED. */
let refuseInBody = false;

function authOf(seen: SeenRequest): string | undefined {
  const value = seen.headers.authorization;
  return typeof value === 'string' ? value : undefined;
}

beforeAll(async () => {
  tokenServer = await startTestServer(() => {
    issued += 1;
    const token = `tok-${issued}-interceptor`;
    valid.add(token);
    return { status: 200, body: { access_token: token, token_type: 'Bearer', expires_in: 3600 } };
  });
  api = await startTestServer((seen) => {
    const token = authOf(seen)?.replace(/^Bearer /, '');
    if ((alwaysUnauthorized || !token || !valid.has(token)) && refuseInBody)
      return { status: 200, body: { errors: [{ message: 'no', extensions: { code: 'UNAUTHENTICATED' } }] } };
    if (alwaysUnauthorized || !token || !valid.has(token))
      return { status: 401, headers: { 'www-authenticate': 'Bearer error="invalid_token"' }, body: {} };
    return { status: 201, body: { ok: true } };
  });
  other = await startTestServer(() => ({ status: 200, body: {} }));
});
afterAll(async () => {
  await Promise.all([tokenServer.close(), api.close(), other.close()]);
});
beforeEach(() => {
  for (const server of [tokenServer, api, other]) server.seen.length = 0;
  valid.clear();
  alwaysUnauthorized = false;
  refuseInBody = false;
});

function oauthStrategy() {
  return createOAuthClientCredentials({
    tokenUrl: `${tokenServer.origin}/token`,
    clientId: 'ferry',
    clientSecret: SECRET,
    clientAuth: 'client_secret_post',
    allowedOrigins: [api.origin],
  });
}

function oauthSend(reasons: TokenRefreshReason[] = []) {
  return authInterceptor(oauthStrategy(), { onTokenRefresh: (r) => reasons.push(r) })(testSend);
}

function post(url: string, headers: Record<string, string> = {}): HttpRequest {
  return { method: 'POST', url, headers, body: '{"orderId":"ORD-1"}', endpoint: 'orders' };
}

describe('authInterceptor', () => {
  it('applies the token to the allowed origin', async () => {
    const send = oauthSend();
    const response = await send(post(`${api.origin}/api/v2/orders`));
    expect(response.status).toBe(201);
    expect(authOf(api.seen[0] as SeenRequest)).toBe(`Bearer tok-${issued}-interceptor`);
  });

  it('refreshes once on a 401 and retries once, which succeeds', async () => {
    const reasons: TokenRefreshReason[] = [];
    const send = oauthSend(reasons);
    await send(post(`${api.origin}/api/v2/orders`));
    valid.clear(); // the server now considers the cached token expired
    const response = await send(post(`${api.origin}/api/v2/orders`));
    expect(response.status).toBe(201);
    expect(tokenServer.seen).toHaveLength(2);
    expect(api.seen.map((s) => s.body)).toEqual(Array(3).fill('{"orderId":"ORD-1"}'));
    expect(authOf(api.seen[2] as SeenRequest)).not.toBe(authOf(api.seen[1] as SeenRequest));
    expect(reasons).toEqual(['unauthorized']);
  });

  it('refreshes once on a 200 the classify layer judged refresh_auth (GraphQL UNAUTHENTICATED)', async () => {
    refuseInBody = true;
    const judge = classifyInterceptor([], {
      classifyBody: (response) =>
        response.body.includes('UNAUTHENTICATED')
          ? { type: 'refresh_auth', reason: 'UNAUTHENTICATED' }
          : undefined,
    });
    const send = authInterceptor(oauthStrategy())(judge(testSend));
    await send(post(`${api.origin}/api/v2/orders`));
    valid.clear();
    const response = await send(post(`${api.origin}/api/v2/orders`));
    expect(response.status).toBe(201);
    expect(tokenServer.seen).toHaveLength(2);
  });

  it('returns a second 401 as it is, after exactly one refresh and one retry', async () => {
    alwaysUnauthorized = true;
    const send = oauthSend();
    const response = await send(post(`${api.origin}/api/v2/orders`));
    expect(response.status).toBe(401);
    expect(api.seen).toHaveLength(2);
    expect(tokenServer.seen).toHaveLength(2);
  });

  it('refreshes once for 20 concurrent requests that all got a 401 for the same token', async () => {
    const send = oauthSend();
    await send(post(`${api.origin}/api/v2/orders`));
    valid.clear();
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => send(post(`${api.origin}/api/v2/orders`))),
    );
    expect(responses.every((r) => r.status === 201)).toBe(true);
    expect(tokenServer.seen).toHaveLength(2);
  });

  it('sends no credentials to another origin, and fetches no token for it', async () => {
    const send = oauthSend();
    await send(
      post(`${other.origin}/collect`, { Authorization: 'Bearer smuggled-token-123', Cookie: 'sid=1' }),
    );
    expect(tokenServer.seen).toHaveLength(0);
    expect(other.seen).toHaveLength(1);
    expect(other.seen[0]?.headers.authorization).toBeUndefined();
    expect(other.seen[0]?.headers.cookie).toBeUndefined();
  });

  it('does not retry a 401 when the strategy cannot refresh (a static API key)', async () => {
    const send = authInterceptor(createApiKeyAuth({ value: API_KEY, allowedOrigins: [api.origin] }))(
      testSend,
    );
    const response = await send(post(`${api.origin}/api/v1/customers`));
    expect(response.status).toBe(401);
    expect(api.seen).toHaveLength(1);
    expect(api.seen[0]?.headers['x-api-key']).toBe(API_KEY);
  });

  it('puts the API key in the query when configured so', async () => {
    const strategy = createApiKeyAuth({
      in: 'query',
      name: 'api_key',
      value: API_KEY,
      allowedOrigins: [api.origin],
    });
    await authInterceptor(strategy)(testSend)(post(`${api.origin}/api/v1/customers?page=2`));
    const url = new URL(api.seen[0]?.url ?? '', api.origin);
    expect(url.searchParams.get('api_key')).toBe(API_KEY);
    expect(url.searchParams.get('page')).toBe('2');
    expect(api.seen[0]?.headers['x-api-key']).toBeUndefined();
  });

  it('strips the API key header and query parameter from a request to another origin', async () => {
    const header = authInterceptor(createApiKeyAuth({ value: API_KEY, allowedOrigins: [api.origin] }))(
      testSend,
    );
    await header(post(`${other.origin}/collect`, { 'x-api-key': API_KEY }));
    const query = authInterceptor(
      createApiKeyAuth({ in: 'query', name: 'key', value: API_KEY, allowedOrigins: [api.origin] }),
    )(testSend);
    await query(post(`${other.origin}/collect?key=${API_KEY}&page=3`));
    expect(other.seen).toHaveLength(2);
    expect(other.seen[0]?.headers['x-api-key']).toBeUndefined();
    expect(other.seen[1]?.url).toBe('/collect?page=3');
    expect(JSON.stringify(other.seen)).not.toContain(API_KEY);
  });

  it('authorizes at once with a token it holds, and waits for one it must fetch first', async () => {
    const strategy = oauthStrategy();
    const request = post(`${api.origin}/orders`);
    expect(strategy.authorizeNow?.(request)).toBeNull();
    expect(strategy.authorizeNow?.(post(`${other.origin}/x`))).toEqual(post(`${other.origin}/x`));
    const awaited = await strategy.authorize(request);
    const now = strategy.authorizeNow?.(request);
    expect(now).toEqual(awaited);
    expect(now?.headers.authorization).toMatch(/^Bearer tok-\d+-interceptor$/);
    expect(tokenServer.seen).toHaveLength(1);
  });

  it('works with a strategy that can only authorize asynchronously', async () => {
    const send = authInterceptor({
      allowedOrigins: new Set([api.origin]),
      authorize: async (request) => ({
        ...request,
        headers: { ...request.headers, authorization: 'Bearer tok-static-interceptor' },
      }),
      refresh: async () => false,
    })(testSend);
    valid.add('tok-static-interceptor');
    expect((await send(post(`${api.origin}/orders`))).status).toBe(201);
    expect(authOf(api.seen[0]!)).toBe('Bearer tok-static-interceptor');
  });
});
