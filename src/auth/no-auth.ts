import type { HttpRequest } from '../core/http-types.ts';
import { normalizeOrigins } from './origin.ts';
import type { RefreshableAuthStrategy } from './refreshable-auth-strategy.ts';

/**
 * Creates the strategy for `type: none`: requests go out as they are and a 401 is final. The connector's
 * origins are still listed so the interceptor strips credential-like headers only from other origins.
 */
export function createNoAuth(allowedOrigins: Iterable<string> = []): RefreshableAuthStrategy {
  return {
    allowedOrigins: normalizeOrigins(allowedOrigins),
    async authorize(request: HttpRequest): Promise<HttpRequest> {
      return request;
    },
    authorizeNow: (request) => request,
    async refresh(): Promise<boolean> {
      return false;
    },
  };
}
