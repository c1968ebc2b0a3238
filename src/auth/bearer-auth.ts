import { FerryError } from '../core/errors.ts';
import type { HttpRequest } from '../core/http-types.ts';
import { registerSecret } from '../core/secret-registry.ts';
import { isAllowedOrigin, normalizeOrigins } from './origin.ts';
import type { RefreshableAuthStrategy } from './refreshable-auth-strategy.ts';
import { withHeader } from './request-credentials.ts';

/** Options for createBearerAuth(). */
export interface BearerAuthOptions {
  token: string;
  /** Origins the token is sent to; anything else gets none. */
  allowedOrigins: Iterable<string>;
}

/** Creates a static bearer token strategy; refresh() returns false since the token cannot be renewed. */
export function createBearerAuth(options: BearerAuthOptions): RefreshableAuthStrategy {
  if (!options.token) throw new FerryError('FERRY_ERR_CONFIG_INVALID', 'auth: bearer token is empty');
  registerSecret(options.token);
  const allowedOrigins = normalizeOrigins(options.allowedOrigins);
  const header = `Bearer ${options.token}`;
  const authorizeNow = (request: HttpRequest): HttpRequest =>
    isAllowedOrigin(request.url, allowedOrigins) ? withHeader(request, 'authorization', header) : request;
  return {
    allowedOrigins,
    credentialNames: { headers: ['authorization'] },
    async authorize(request: HttpRequest): Promise<HttpRequest> {
      return authorizeNow(request);
    },
    authorizeNow,
    async refresh(): Promise<boolean> {
      return false;
    },
  };
}
