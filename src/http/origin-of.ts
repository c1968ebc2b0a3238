/** Origins of recently seen URLs: a sink sends every record to the same URL, and parsing it is not free. */
const recentOrigins = new Map<string, string>();
const MAX_REMEMBERED_ORIGINS = 256;

/**
 * The origin (scheme://host[:port], default ports elided, host lower-cased) of a URL, as WHATWG URL computes
 * it; throws a TypeError for a URL that does not parse, as `new URL()` does.
 */
export function originOf(url: string): string {
  let origin = recentOrigins.get(url);
  if (origin === undefined) {
    origin = new URL(url).origin;
    // Lookup URLs differ per record; start over rather than grow without bound.
    if (recentOrigins.size >= MAX_REMEMBERED_ORIGINS) recentOrigins.clear();
    recentOrigins.set(url, origin);
  }
  return origin;
}
