import { randomUUID } from 'node:crypto';
import type { importPKCS8 } from 'jose';
import { formatDuration } from '../core/duration.ts';
import { FerryError } from '../core/errors.ts';
import { registerSecret } from '../core/secret-registry.ts';
import { createCachedBearerStrategy } from './cached-bearer-strategy.ts';
import { normalizeOrigins } from './origin.ts';
import { registerPrivateKey } from './private-key.ts';
import type { RefreshableAuthStrategy, TokenRefreshReason } from './refreshable-auth-strategy.ts';
import { credentialIdentity, type SharedTokens } from './shared-tokens.ts';
import type { IssuedToken } from './token-cache.ts';

/** Options for createJwtBearerAuth(). */
export interface JwtBearerAuthOptions {
  /** PKCS#8 PEM private key that signs the JWTs. */
  privateKeyPem: string;
  /** JWS algorithm. @default 'RS256' */
  alg?: string;
  /** `kid` header, when the destination knows several keys. */
  keyId?: string;
  /** `iss` claim. */
  issuer: string;
  /** `sub` claim. @default issuer */
  subject?: string;
  /** `aud` claim. */
  audience: string | string[];
  /** Lifetime of each JWT. @default 300000 */
  ttlMs?: number;
  /** Sign a new JWT this long before the current one expires (capped at half the lifetime). @default 30000 */
  refreshSkewMs?: number;
  /** Origins the JWT is sent to. */
  allowedOrigins: Iterable<string>;
  /** Milliseconds since the epoch. @default Date.now */
  clock?: () => number;
  /** Told about each re-signing after the first JWT. */
  onRefresh?: (reason: TokenRefreshReason) => void;
  /** Token caches shared with later runs of the process (ferry serve). */
  sharedTokens?: SharedTokens;
}

/**
 * Creates a strategy that signs a short-lived JWT (jose SignJWT) and sends it as the bearer token, for
 * destinations that accept self-signed assertions; the JWT is re-signed ahead of its expiry.
 */
export function createJwtBearerAuth(options: JwtBearerAuthOptions): RefreshableAuthStrategy {
  if (!options.privateKeyPem)
    throw new FerryError('FERRY_ERR_CONFIG_INVALID', 'auth: jwt_bearer needs private_key');
  if (!options.issuer || (Array.isArray(options.audience) ? !options.audience.length : !options.audience))
    throw new FerryError('FERRY_ERR_CONFIG_INVALID', 'auth: jwt_bearer needs issuer and audience');
  const ttlMs = options.ttlMs ?? 300_000;
  if (!(ttlMs >= 1000))
    throw new FerryError(
      'FERRY_ERR_CONFIG_INVALID',
      `auth: jwt_bearer ttl must be at least 1s, not ${formatDuration(ttlMs)}`,
    );
  registerPrivateKey(options.privateKeyPem);
  const alg = options.alg ?? 'RS256';
  const clock = options.clock ?? Date.now;
  const allowedOrigins = normalizeOrigins(options.allowedOrigins);
  let key: ReturnType<typeof importPKCS8> | undefined;

  async function issue(): Promise<IssuedToken> {
    // jose loads when the first JWT is signed: most integrations never sign one, and it is 46 modules.
    const { importPKCS8, SignJWT } = await import('jose');
    key ??= importPKCS8(options.privateKeyPem, alg).catch((error: unknown) => {
      key = undefined;
      throw new FerryError(
        'FERRY_ERR_CONFIG_INVALID',
        `auth: private_key is not a PKCS#8 PEM key usable with ${alg} (${(error as Error).name})`,
        { details: { alg } },
      );
    });
    const nowSeconds = Math.floor(clock() / 1000);
    const jwt = await new SignJWT({})
      .setProtectedHeader(options.keyId ? { alg, typ: 'JWT', kid: options.keyId } : { alg, typ: 'JWT' })
      .setIssuer(options.issuer)
      .setSubject(options.subject ?? options.issuer)
      .setAudience(options.audience)
      .setIssuedAt(nowSeconds)
      .setNotBefore(nowSeconds)
      .setExpirationTime(nowSeconds + Math.floor(ttlMs / 1000))
      .setJti(randomUUID())
      .sign(await key);
    // Forgotten an hour after it expires: a long-lived process signs one every lifetime.
    registerSecret(jwt, { forgetAfterMs: ttlMs + 3_600_000 });
    return { value: jwt, lifetimeMs: Math.floor(ttlMs / 1000) * 1000 };
  }

  return createCachedBearerStrategy({
    issue,
    allowedOrigins,
    clock,
    refreshSkewMs: options.refreshSkewMs,
    onRefresh: options.onRefresh,
    shared: options.sharedTokens && {
      tokens: options.sharedTokens,
      identity: credentialIdentity(
        {
          kind: 'jwt_bearer',
          issuer: options.issuer,
          subject: options.subject,
          audience: JSON.stringify(options.audience),
          alg: options.alg,
          keyId: options.keyId,
          ttlMs: String(ttlMs),
        },
        [options.privateKeyPem],
      ),
    },
  });
}
