/** Where a URL points, split as undici's dispatch() takes it. */
export interface UrlTarget {
  /** scheme://host[:port], default ports elided, host lower-cased, as WHATWG URL computes it. */
  readonly origin: string;
  /** The path with its query string. */
  readonly path: string;
}

/** Targets of recently seen URLs: a sink sends every record to the same URL, and parsing it is not free. */
const recentTargets = new Map<string, UrlTarget>();
const MAX_REMEMBERED_URLS = 256;

/** The origin and path of a URL; throws a TypeError for a URL that does not parse, as `new URL()` does. */
export function targetOf(url: string): UrlTarget {
  let target = recentTargets.get(url);
  if (target === undefined) {
    const parsed = new URL(url);
    target = { origin: parsed.origin, path: `${parsed.pathname}${parsed.search}` };
    // Lookup URLs differ per record; start over rather than grow without bound.
    if (recentTargets.size >= MAX_REMEMBERED_URLS) recentTargets.clear();
    recentTargets.set(url, target);
  }
  return target;
}

/** The origin (scheme://host[:port], default ports elided, host lower-cased) of a URL; see targetOf. */
export function originOf(url: string): string {
  return targetOf(url).origin;
}
