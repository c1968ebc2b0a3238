import { FerryError } from '../core/errors.ts';
import type { HttpRequest } from '../core/http-types.ts';
import { registerSecret } from '../core/secret-registry.ts';
import { isAllowedOrigin, normalizeOrigins } from './origin.ts';
import type { RefreshableAuthStrategy } from './refreshable-auth-strategy.ts';
import { withHeader } from './request-credentials.ts';

/** Options for createBasicAuth(). */
export interface BasicAuthOptions {
  username: string;
  password: string;
  /** Origins the credentials are sent to; anything else gets none. */
  allowedOrigins: Iterable<string>;
}

/**
 * Creates an HTTP Basic strategy (RFC 7617: `Authorization: Basic base64(user:password)`, UTF-8); refresh()
 * returns false since static credentials cannot be renewed. The password and the encoded header value are
 * both registered for redaction: the base64 form reveals the password as surely as the password does.
 */
export function createBasicAuth(options: BasicAuthOptions): RefreshableAuthStrategy {
  if (!options.username) throw new FerryError('FERRY_ERR_CONFIG_INVALID', 'auth: basic username is empty');
  if (options.username.includes(':'))
    throw new FerryError(
      'FERRY_ERR_CONFIG_INVALID',
      'auth: a basic username cannot contain ":" (RFC 7617 separates it from the password with one)',
    );
  if (!options.password) throw new FerryError('FERRY_ERR_CONFIG_INVALID', 'auth: basic password is empty');
  const encoded = Buffer.from(`${options.username}:${options.password}`, 'utf8').toString('base64');
  registerSecret(options.password);
  registerSecret(encoded);
  const allowedOrigins = normalizeOrigins(options.allowedOrigins);
  const header = `Basic ${encoded}`;
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
