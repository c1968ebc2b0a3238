/** How a client authenticated at the token endpoint (RFC 6749 section 2.3.1). */
export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post';

/** The client credentials found in a token request, or why they could not be read. */
export type ClientCredentials =
  | { ok: true; method: ClientAuthMethod; clientId: string; clientSecret: string }
  | { ok: false; error: 'invalid_client' | 'invalid_request'; description: string };

function formDecode(value: string): string {
  return decodeURIComponent(value.replace(/\+/g, ' '));
}

/**
 * Reads client credentials from `Authorization: Basic` (id and secret form-urlencoded, then base64) or
 * from client_id / client_secret in the body. Using both at once is refused, as the RFC requires.
 */
export function readClientCredentials(
  authorization: string | undefined,
  body: Record<string, unknown>,
): ClientCredentials {
  const postId = typeof body.client_id === 'string' ? body.client_id : undefined;
  const postSecret = typeof body.client_secret === 'string' ? body.client_secret : undefined;
  const basic = authorization?.match(/^Basic\s+([A-Za-z0-9+/=._~-]+)\s*$/i);
  if (basic) {
    if (postSecret !== undefined)
      return {
        ok: false,
        error: 'invalid_request',
        description: 'use one client authentication method, not two',
      };
    const decoded = Buffer.from(basic[1] as string, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return { ok: false, error: 'invalid_client', description: 'malformed Basic credentials' };
    try {
      return {
        ok: true,
        method: 'client_secret_basic',
        clientId: formDecode(decoded.slice(0, colon)),
        clientSecret: formDecode(decoded.slice(colon + 1)),
      };
    } catch {
      return { ok: false, error: 'invalid_client', description: 'malformed Basic credentials' };
    }
  }
  if (postId !== undefined && postSecret !== undefined)
    return { ok: true, method: 'client_secret_post', clientId: postId, clientSecret: postSecret };
  return { ok: false, error: 'invalid_client', description: 'no client credentials (Basic header or body)' };
}
