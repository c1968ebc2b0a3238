import { FerryError } from '../core/errors.ts';
import { originOf } from '../http/origin-of.ts';

// Kept importable from here, where the rest of auth's origin rules live.
export { originOf };

/**
 * Normalises a list of origins or URLs to the form originOf() returns, so `https://api.example.com:443/`
 * and `https://API.example.com` compare equal. Throws FERRY_ERR_CONFIG_INVALID for an unparsable entry.
 */
export function normalizeOrigins(origins: Iterable<string>): ReadonlySet<string> {
  const out = new Set<string>();
  for (const origin of origins) {
    try {
      out.add(originOf(origin));
    } catch (cause) {
      throw new FerryError('FERRY_ERR_CONFIG_INVALID', `auth: allowed origin "${origin}" is not a URL`, {
        cause,
        details: { origin },
      });
    }
  }
  return out;
}

/** True when the request URL's origin is one of the allowed origins; false for anything unparsable. */
export function isAllowedOrigin(url: string, allowedOrigins: ReadonlySet<string>): boolean {
  try {
    return allowedOrigins.has(originOf(url));
  } catch {
    return false;
  }
}

/** True for URLs whose host is loopback (localhost, 127.0.0.0/8, ::1), where plain http cannot be sniffed. */
export function isLoopbackUrl(url: URL): boolean {
  const host = url.hostname.toLowerCase();
  return host === 'localhost' || host === '[::1]' || /^127(?:\.\d{1,3}){3}$/.test(host);
}
