import { decodeProtectedHeader, exportPKCS8, generateKeyPair, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import type { HttpRequest } from '../core/http-types.ts';
import { REDACTED, redactSecrets } from '../core/secret-registry.ts';
import { createJwtBearerAuth } from './jwt-bearer-auth.ts';
import type { TokenRefreshReason } from './refreshable-auth-strategy.ts';
import { manualClock } from './test-servers.ts';

const API = 'https://shop.example.com';
const order: HttpRequest = { method: 'POST', url: `${API}/api/v2/orders`, headers: {}, endpoint: 'orders' };

async function keys() {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  return { pem: await exportPKCS8(privateKey), publicKey };
}

function tokenOf(request: HttpRequest): string {
  return (request.headers.authorization ?? '').replace(/^Bearer /, '');
}

describe('createJwtBearerAuth', () => {
  it('signs a JWT the destination can verify, with iss, sub, aud and a short expiry', async () => {
    const { pem, publicKey } = await keys();
    const clock = manualClock(Date.now());
    const auth = createJwtBearerAuth({
      privateKeyPem: pem,
      alg: 'ES256',
      keyId: 'k1',
      issuer: 'ferry',
      subject: 'svc-orders',
      audience: API,
      ttlMs: 120_000,
      allowedOrigins: [API],
      clock: clock.now,
    });
    const jwt = tokenOf(await auth.authorize(order));
    const { payload } = await jwtVerify(jwt, publicKey, {
      issuer: 'ferry',
      subject: 'svc-orders',
      audience: API,
    });
    expect((payload.exp ?? 0) - (payload.iat ?? 0)).toBe(120);
    expect(decodeProtectedHeader(jwt)).toMatchObject({ alg: 'ES256', kid: 'k1' });
    expect(redactSecrets(jwt)).toBe(REDACTED);
    expect(redactSecrets(pem)).toBe(REDACTED);
  });

  it('reuses the JWT and re-signs it ahead of its expiry', async () => {
    const { pem } = await keys();
    const clock = manualClock();
    const reasons: TokenRefreshReason[] = [];
    const auth = createJwtBearerAuth({
      privateKeyPem: pem,
      alg: 'ES256',
      issuer: 'ferry',
      audience: API,
      ttlMs: 60_000,
      refreshSkewMs: 10_000,
      allowedOrigins: [API],
      clock: clock.now,
      onRefresh: (r) => reasons.push(r),
    });
    const first = tokenOf(await auth.authorize(order));
    clock.advance(49_000);
    expect(tokenOf(await auth.authorize(order))).toBe(first);
    clock.advance(2_000);
    expect(tokenOf(await auth.authorize(order))).not.toBe(first);
    expect(reasons).toEqual(['expiry']);
  });

  it('leaves a request to another origin without a JWT', async () => {
    const { pem } = await keys();
    const auth = createJwtBearerAuth({
      privateKeyPem: pem,
      alg: 'ES256',
      issuer: 'ferry',
      audience: API,
      allowedOrigins: [API],
    });
    const other: HttpRequest = { ...order, url: 'https://elsewhere.example.org/x' };
    expect((await auth.authorize(other)).headers.authorization).toBeUndefined();
  });

  it('fails with FERRY_ERR_CONFIG_INVALID, not the key, when the key does not fit the algorithm', async () => {
    const { pem } = await keys();
    const auth = createJwtBearerAuth({
      privateKeyPem: pem,
      alg: 'RS256',
      issuer: 'ferry',
      audience: API,
      allowedOrigins: [API],
    });
    const error = await auth.authorize(order).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'FERRY_ERR_CONFIG_INVALID' });
    const body = pem.split('\n')[1] ?? 'never';
    expect(`${(error as Error).message} ${JSON.stringify(error)}`).not.toContain(body);
  });
});
