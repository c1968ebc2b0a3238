import { exportPKCS8, exportSPKI, generateKeyPair, importSPKI, jwtVerify } from 'jose';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hasErrorCode } from '../core/errors.ts';
import type { HttpRequest } from '../core/http-types.ts';
import { REDACTED, redactSecrets } from '../core/secret-registry.ts';
import {
  createOAuthClientCredentials,
  type OAuthClientCredentialsOptions,
} from './oauth-client-credentials.ts';
import type { TokenRefreshReason } from './refreshable-auth-strategy.ts';
import {
  type Answer,
  formOf,
  manualClock,
  type SeenRequest,
  startTestServer,
  type TestServer,
} from './test-servers.ts';

const CLIENT_ID = 'ferry-client';
const CLIENT_SECRET = 'cs-9f8e7d6c5b4a-very-secret';
const API = 'https://shop.example.com';

let tokenServer: TestServer;
let handle: (seen: SeenRequest) => Answer | Promise<Answer>;
let issued = 0;

function issueToken(expiresIn: number | null = 3600): Answer {
  issued += 1;
  const body: Record<string, unknown> = { access_token: `at-${issued}-abcdefgh`, token_type: 'Bearer' };
  if (expiresIn !== null) body.expires_in = expiresIn;
  return { status: 200, body };
}

function tokenRequests(): SeenRequest[] {
  return tokenServer.seen.filter((s) => s.url === '/token');
}

function strategy(overrides: Partial<OAuthClientCredentialsOptions> = {}) {
  return createOAuthClientCredentials({
    tokenUrl: `${tokenServer.origin}/token`,
    clientId: CLIENT_ID,
    clientSecret: CLIENT_SECRET,
    clientAuth: 'client_secret_basic',
    allowedOrigins: [API],
    ...overrides,
  });
}

const order: HttpRequest = { method: 'POST', url: `${API}/api/v2/orders`, headers: {}, endpoint: 'orders' };

beforeAll(async () => {
  tokenServer = await startTestServer((seen) => handle(seen));
});
afterAll(() => tokenServer.close());
beforeEach(() => {
  tokenServer.seen.length = 0;
  handle = () => issueToken();
});

describe('createOAuthClientCredentials', () => {
  it('sends client_secret_basic as an Authorization header and never in the body', async () => {
    const auth = strategy({ scope: 'orders:write', audience: 'https://shop.example.com/api' });
    const out = await auth.authorize(order);
    expect(out.headers.authorization).toMatch(/^Bearer at-\d+-abcdefgh$/);
    const [seen] = tokenRequests();
    const [scheme, encoded] = String(seen?.headers.authorization).split(' ');
    expect(scheme).toBe('Basic');
    // RFC 6749 2.3.1: both halves are form-urlencoded before base64.
    const [id, secret] = Buffer.from(encoded ?? '', 'base64')
      .toString('utf8')
      .split(':')
      .map(decodeURIComponent);
    expect({ id, secret }).toEqual({ id: CLIENT_ID, secret: CLIENT_SECRET });
    const form = formOf(seen?.body ?? '');
    expect(form).toMatchObject({
      grant_type: 'client_credentials',
      scope: 'orders:write',
      audience: 'https://shop.example.com/api',
    });
    expect(form.client_secret).toBeUndefined();
  });

  it('sends client_secret_post in the form body and no Authorization header', async () => {
    const auth = strategy({ clientAuth: 'client_secret_post' });
    await auth.authorize(order);
    const [seen] = tokenRequests();
    expect(seen?.headers.authorization).toBeUndefined();
    expect(formOf(seen?.body ?? '')).toMatchObject({
      grant_type: 'client_credentials',
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
    });
  });

  it('sends a private_key_jwt client assertion the server can verify with the public key', async () => {
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    const pem = await exportPKCS8(privateKey);
    const spki = await importSPKI(await exportSPKI(publicKey), 'RS256');
    const tokenUrl = `${tokenServer.origin}/token`;
    let verified = false;
    handle = async (seen) => {
      const form = formOf(seen.body);
      if (form.client_assertion_type !== 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer')
        return { status: 400, body: { error: 'invalid_client' } };
      const { payload } = await jwtVerify(form.client_assertion ?? '', spki, {
        issuer: CLIENT_ID,
        subject: CLIENT_ID,
        audience: tokenUrl,
      });
      verified = typeof payload.jti === 'string' && typeof payload.exp === 'number';
      return issueToken();
    };
    const auth = createOAuthClientCredentials({
      tokenUrl,
      clientId: CLIENT_ID,
      clientAuth: 'private_key_jwt',
      privateKeyPem: pem,
      allowedOrigins: [API],
    });
    const out = await auth.authorize(order);
    expect(out.headers.authorization).toMatch(/^Bearer /);
    expect(verified).toBe(true);
    expect(tokenRequests()[0]?.headers.authorization).toBeUndefined();
    expect(redactSecrets(pem)).toBe(REDACTED);
  });

  it('reuses the cached token for later requests', async () => {
    const auth = strategy();
    const first = await auth.authorize(order);
    const second = await auth.authorize(order);
    expect(second.headers.authorization).toBe(first.headers.authorization);
    expect(tokenRequests()).toHaveLength(1);
  });

  it('renews the token ahead of its expiry (expires_in minus the skew) by the injected clock', async () => {
    handle = () => issueToken(120);
    const clock = manualClock();
    const reasons: TokenRefreshReason[] = [];
    const auth = strategy({ clock: clock.now, refreshSkewMs: 30_000, onRefresh: (r) => reasons.push(r) });
    const first = await auth.authorize(order);
    clock.advance(89_000);
    expect((await auth.authorize(order)).headers.authorization).toBe(first.headers.authorization);
    expect(tokenRequests()).toHaveLength(1);
    clock.advance(2_000);
    const renewed = await auth.authorize(order);
    expect(renewed.headers.authorization).not.toBe(first.headers.authorization);
    expect(tokenRequests()).toHaveLength(2);
    expect(reasons).toEqual(['expiry']);
  });

  it('assumes a default lifetime when the response has no expires_in', async () => {
    handle = () => issueToken(null);
    const clock = manualClock();
    const auth = strategy({ clock: clock.now, defaultExpiresInMs: 60_000, refreshSkewMs: 10_000 });
    await auth.authorize(order);
    clock.advance(49_000);
    await auth.authorize(order);
    expect(tokenRequests()).toHaveLength(1);
    clock.advance(2_000);
    await auth.authorize(order);
    expect(tokenRequests()).toHaveLength(2);
  });

  it('makes exactly one token request for 100 concurrent calls at expiry', async () => {
    handle = () => issueToken(60);
    const clock = manualClock();
    const auth = strategy({ clock: clock.now });
    await auth.authorize(order);
    clock.advance(60_000);
    const results = await Promise.all(Array.from({ length: 100 }, () => auth.authorize(order)));
    expect(tokenRequests()).toHaveLength(2);
    expect(new Set(results.map((r) => r.headers.authorization)).size).toBe(1);
  });

  it('refreshes once for many concurrent 401s on the same old token', async () => {
    const auth = strategy();
    const used = await auth.authorize(order);
    const results = await Promise.all(Array.from({ length: 20 }, () => auth.refresh(used)));
    expect(results.every(Boolean)).toBe(true);
    expect(tokenRequests()).toHaveLength(2);
    // A late 401 for the old token finds it already replaced: no third request.
    expect(await auth.refresh(used)).toBe(true);
    expect(tokenRequests()).toHaveLength(2);
    expect((await auth.authorize(order)).headers.authorization).not.toBe(used.headers.authorization);
  });

  it('forces a new token when refresh() is called without the request', async () => {
    const auth = strategy();
    await auth.authorize(order);
    await auth.refresh();
    expect(tokenRequests()).toHaveLength(2);
  });

  it('fetches no token for a request to another origin and leaves it untouched', async () => {
    const auth = strategy();
    const other: HttpRequest = { ...order, url: 'https://evil.example.net/collect' };
    expect(await auth.authorize(other)).toBe(other);
    expect(tokenRequests()).toHaveLength(0);
  });

  it('registers the client secret and every issued token for redaction', async () => {
    const auth = strategy();
    const out = await auth.authorize(order);
    const token = out.headers.authorization?.slice('Bearer '.length) ?? '';
    expect(redactSecrets(`x ${CLIENT_SECRET} y ${token}`)).toBe(`x ${REDACTED} y ${REDACTED}`);
  });

  it('turns a token endpoint 401 into FERRY_ERR_AUTH_TOKEN with status and OAuth error, without the secret', async () => {
    handle = () => ({
      status: 401,
      body: { error: 'invalid_client', error_description: `client secret ${CLIENT_SECRET} is wrong` },
    });
    const error = await strategy()
      .authorize(order)
      .catch((e: unknown) => e);
    expect(hasErrorCode(error, 'FERRY_ERR_AUTH_TOKEN')).toBe(true);
    if (!hasErrorCode(error, 'FERRY_ERR_AUTH_TOKEN')) return;
    expect(error.kind).toBe('auth');
    expect(error.details).toMatchObject({ status: 401, oauthError: 'invalid_client', retryable: false });
    expect(error.message).toContain('401');
    expect(error.message).toContain('invalid_client');
    const everything = `${error.message} ${JSON.stringify(error.details)} ${String(error.stack)} ${JSON.stringify(error.cause ?? null)}`;
    expect(everything).not.toContain(CLIENT_SECRET);
  });

  it('reads the OAuth error from a WWW-Authenticate challenge on a token endpoint 401', async () => {
    handle = () => ({
      status: 401,
      headers: { 'www-authenticate': 'Basic realm="token", error="invalid_client"' },
      body: { error: 'invalid_client' },
    });
    const error = await strategy()
      .authorize(order)
      .catch((e: unknown) => e);
    expect(hasErrorCode(error, 'FERRY_ERR_AUTH_TOKEN')).toBe(true);
    expect(JSON.stringify((error as { details: unknown }).details)).toContain('invalid_client');
    expect(JSON.stringify((error as { details: unknown }).details)).not.toContain(CLIENT_SECRET);
  });

  it("shows the server's reason from the body of a 401 that carries a challenge without one", async () => {
    handle = () => ({
      status: 401,
      headers: { 'www-authenticate': 'Basic realm="token"' },
      body: { error: 'invalid_client', error_description: 'unknown client or wrong\u001b[2J secret' },
    });
    const error = await strategy()
      .authorize(order)
      .catch((e: unknown) => e);
    expect(hasErrorCode(error, 'FERRY_ERR_AUTH_TOKEN')).toBe(true);
    expect((error as Error).message).toContain(
      'HTTP 401 invalid_client: unknown client or wrong\\u001b[2J secret',
    );
  });

  it('reports a token endpoint 503 as retryable FERRY_ERR_AUTH_TOKEN_UNAVAILABLE, then recovers', async () => {
    handle = () => ({
      status: 503,
      headers: { 'retry-after': '7' },
      body: { error: 'temporarily_unavailable' },
    });
    const auth = strategy();
    const error = await auth.authorize(order).catch((e: unknown) => e);
    expect(hasErrorCode(error, 'FERRY_ERR_AUTH_TOKEN_UNAVAILABLE')).toBe(true);
    expect((error as { kind: string }).kind).toBe('transient');
    expect((error as { details: unknown }).details).toMatchObject({
      status: 503,
      retryable: true,
      retryAfterMs: 7000,
    });
    handle = () => issueToken();
    expect((await auth.authorize(order)).headers.authorization).toMatch(/^Bearer /);
  });

  it('reports an unreachable token endpoint as retryable FERRY_ERR_AUTH_TOKEN_UNAVAILABLE', async () => {
    const gone = await startTestServer(() => ({ status: 200 }));
    await gone.close();
    const error = await strategy({ tokenUrl: `${gone.origin}/token` })
      .authorize(order)
      .catch((e: unknown) => e);
    expect(hasErrorCode(error, 'FERRY_ERR_AUTH_TOKEN_UNAVAILABLE')).toBe(true);
    expect(JSON.stringify(error)).not.toContain(CLIENT_SECRET);
  });

  it('refuses a 200 without an access token as FERRY_ERR_AUTH_TOKEN', async () => {
    handle = () => ({ status: 200, body: { token_type: 'Bearer' } });
    const error = await strategy()
      .authorize(order)
      .catch((e: unknown) => e);
    expect(hasErrorCode(error, 'FERRY_ERR_AUTH_TOKEN')).toBe(true);
  });

  it('refuses a plain-http token URL off loopback unless explicitly allowed', () => {
    const options = {
      tokenUrl: 'http://auth.example.com/token',
      clientId: CLIENT_ID,
      clientSecret: CLIENT_SECRET,
      clientAuth: 'client_secret_post',
      allowedOrigins: [API],
    } as const;
    expect(() => createOAuthClientCredentials(options)).toThrow(
      expect.objectContaining({ code: 'FERRY_ERR_CONFIG_INSECURE_URL' }),
    );
    expect(() => createOAuthClientCredentials({ ...options, allowInsecureHttp: true })).not.toThrow();
  });

  it('refuses client_secret_basic without a client secret', () => {
    expect(() => strategy({ clientSecret: '' })).toThrow(
      expect.objectContaining({ code: 'FERRY_ERR_CONFIG_INVALID' }),
    );
  });
});
