import type { HttpRequest } from '../core/http-types.ts';
import type { RefreshableAuthStrategy } from './refreshable-auth-strategy.ts';

/** Creates the strategy for `type: none`: requests go out as they are and a 401 is final. */
export function createNoAuth(): RefreshableAuthStrategy {
  return {
    allowedOrigins: new Set<string>(),
    async authorize(request: HttpRequest): Promise<HttpRequest> {
      return request;
    },
    async refresh(): Promise<boolean> {
      return false;
    },
  };
}
