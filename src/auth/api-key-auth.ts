import { FerryError } from '../core/errors.ts';
import type { HttpRequest } from '../core/http-types.ts';
import { registerSecret } from '../core/secret-registry.ts';
import { isAllowedOrigin, normalizeOrigins } from './origin.ts';
import type { RefreshableAuthStrategy } from './refreshable-auth-strategy.ts';
import { withHeader, withQueryParam } from './request-credentials.ts';

/** Options for createApiKeyAuth(). */
export interface ApiKeyAuthOptions {
  /** Where the key goes. @default 'header' */
  in?: 'header' | 'query';
  /** Header or query parameter name. @default 'X-API-Key' for a header, 'api_key' for a query parameter */
  name?: string;
  value: string;
  /** Origins the key is sent to; anything else gets none. */
  allowedOrigins: Iterable<string>;
}

/** Creates a static API key strategy (header or query parameter); refresh() returns false since a key cannot be renewed. */
export function createApiKeyAuth(options: ApiKeyAuthOptions): RefreshableAuthStrategy {
  const placement = options.in ?? 'header';
  const name = options.name || (placement === 'header' ? 'X-API-Key' : 'api_key');
  if (!options.value)
    throw new FerryError('FERRY_ERR_CONFIG_INVALID', `auth: api_key ${name} has an empty value`);
  if (placement !== 'header' && placement !== 'query') {
    throw new FerryError(
      'FERRY_ERR_CONFIG_INVALID',
      `auth: api_key "in" must be header or query, not "${String(placement)}"`,
    );
  }
  registerSecret(options.value);
  const allowedOrigins = normalizeOrigins(options.allowedOrigins);
  const { value } = options;
  const authorizeNow = (request: HttpRequest): HttpRequest => {
    if (!isAllowedOrigin(request.url, allowedOrigins)) return request;
    return placement === 'header' ? withHeader(request, name, value) : withQueryParam(request, name, value);
  };
  return {
    allowedOrigins,
    credentialNames: placement === 'header' ? { headers: [name] } : { queryParams: [name] },
    async authorize(request: HttpRequest): Promise<HttpRequest> {
      return authorizeNow(request);
    },
    authorizeNow,
    async refresh(): Promise<boolean> {
      return false;
    },
  };
}
