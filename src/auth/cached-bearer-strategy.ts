import type { HttpRequest } from '../core/http-types.ts';
import { isAllowedOrigin } from './origin.ts';
import type { RefreshableAuthStrategy, TokenRefreshReason } from './refreshable-auth-strategy.ts';
import { bearerTokenOf, withHeader } from './request-credentials.ts';
import type { SharedTokens } from './shared-tokens.ts';
import { createTokenCache, type IssuedToken } from './token-cache.ts';

/** What a strategy that presents a renewable bearer token (OAuth, a signed JWT) supplies. */
export interface CachedBearerOptions {
  /** Fetches or signs a new token. */
  issue(): Promise<IssuedToken>;
  readonly allowedOrigins: ReadonlySet<string>;
  readonly clock: () => number;
  /** @default 30000 */
  readonly refreshSkewMs?: number | undefined;
  readonly onRefresh?: ((reason: TokenRefreshReason) => void) | undefined;
  /** Caches shared across runs (ferry serve), with this credential's identity in them. */
  readonly shared?: { readonly tokens: SharedTokens; readonly identity: string } | undefined;
}

/**
 * A strategy that sends `Authorization: Bearer <token>` from an in-memory, single-flight cache, renewed
 * ahead of expiry and once after a 401. Only the way a token is obtained differs between OAuth client
 * credentials and JWT bearer, so that is all they supply.
 */
export function createCachedBearerStrategy(options: CachedBearerOptions): RefreshableAuthStrategy {
  const { allowedOrigins, shared } = options;
  const create = () =>
    createTokenCache({
      issue: options.issue,
      clock: options.clock,
      refreshSkewMs: options.refreshSkewMs ?? 30_000,
    });
  const cache = shared ? shared.tokens.cacheFor(shared.identity, create) : create();
  const unobserve = options.onRefresh ? cache.observe({ onTokenRefresh: options.onRefresh }) : undefined;
  return {
    allowedOrigins,
    credentialNames: { headers: ['authorization'] },
    async authorize(request: HttpRequest): Promise<HttpRequest> {
      // No token is even obtained for a request that may not carry one.
      if (!isAllowedOrigin(request.url, allowedOrigins)) return request;
      return withHeader(request, 'authorization', `Bearer ${await cache.get()}`);
    },
    authorizeNow(request: HttpRequest): HttpRequest | null {
      if (!isAllowedOrigin(request.url, allowedOrigins)) return request;
      const token = cache.fresh();
      return token === undefined ? null : withHeader(request, 'authorization', `Bearer ${token}`);
    },
    async refresh(usedRequest?: HttpRequest): Promise<boolean> {
      // Many concurrent 401s for the same old token cause one renewal: the cache compares the token used.
      await cache.refresh(usedRequest ? bearerTokenOf(usedRequest) : undefined);
      return true;
    },
    prepare: () => cache.prime(),
    observe: (observer) => cache.observe(observer),
    async close() {
      unobserve?.();
      // A shared token outlives this run: the next one takes it while it is good.
      if (!shared) cache.clear();
    },
  };
}
