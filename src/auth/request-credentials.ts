import type { HttpRequest } from '../core/http-types.ts';

/** Headers that carry credentials whatever the strategy; stripped from requests to other origins. */
const ALWAYS_CREDENTIAL_HEADERS = ['authorization', 'proxy-authorization', 'cookie'];

/** Returns the request with one header set, replacing any existing header of that name in any letter case. */
export function withHeader(request: HttpRequest, name: string, value: string): HttpRequest {
  const lower = name.toLowerCase();
  const source = request.headers;
  const headers: Record<string, string> = {};
  for (const key of Object.keys(source)) {
    // Only a name of the same length can be this one in another letter case; skip lower-casing the rest.
    if (key.length === lower.length && key.toLowerCase() === lower) continue;
    headers[key] = source[key]!;
  }
  headers[lower] = value;
  return { ...request, headers };
}

/** Returns the request with one query parameter set (replacing any earlier value of it). */
export function withQueryParam(request: HttpRequest, name: string, value: string): HttpRequest {
  const url = new URL(request.url);
  url.searchParams.set(name, value);
  return { ...request, url: url.toString() };
}

/** Names of headers and query parameters a strategy puts credentials in, so they can be stripped. */
export interface CredentialNames {
  readonly headers?: readonly string[];
  readonly queryParams?: readonly string[];
}

/**
 * Returns the request without anything that could be a credential: Authorization, Proxy-Authorization,
 * Cookie and the strategy's own header and query parameter names. Used for requests to other origins.
 */
export function withoutCredentials(request: HttpRequest, names: CredentialNames = {}): HttpRequest {
  const drop = new Set([...ALWAYS_CREDENTIAL_HEADERS, ...(names.headers ?? []).map((h) => h.toLowerCase())]);
  const headers: Record<string, string> = {};
  let changed = false;
  for (const [key, v] of Object.entries(request.headers)) {
    if (drop.has(key.toLowerCase())) changed = true;
    else headers[key] = v;
  }
  let url = request.url;
  if (names.queryParams?.length) {
    try {
      const parsed = new URL(request.url);
      for (const param of names.queryParams) {
        if (parsed.searchParams.has(param)) {
          parsed.searchParams.delete(param);
          changed = true;
        }
      }
      url = parsed.toString();
    } catch {
      // An unparsable URL fails later in the transport with a clear error; nothing to strip here.
    }
  }
  return changed ? { ...request, headers, url } : request;
}

/** The bearer token a request carried, if any (header name in any letter case). */
export function bearerTokenOf(request: HttpRequest): string | undefined {
  for (const [key, value] of Object.entries(request.headers)) {
    if (key.toLowerCase() === 'authorization') {
      const match = /^Bearer\s+(.+)$/i.exec(value);
      return match?.[1];
    }
  }
  return undefined;
}
