/** One link of an RFC 8288 Link header. */
export interface WebLink {
  /** The target, resolved against the URL of the response that carried it. */
  readonly href: URL;
  /** Relation types, lower-cased (`rel="next last"` gives ["next", "last"]). */
  readonly rel: readonly string[];
  /** Every parameter by lower-cased name; the first occurrence wins, as RFC 8288 says for rel. */
  readonly params: Readonly<Record<string, string>>;
}

const WHITESPACE = /[ \t]/;
const TOKEN_CHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;

/**
 * Parses a Link header (RFC 8288 section 3) into links: several links per header (or headers joined with
 * ", "), commas and semicolons inside <...> and quoted strings, quoted-pair escapes, case-insensitive
 * parameter names, relative targets resolved against `base`. A malformed link is skipped, not fatal.
 */
export function parseLinkHeader(header: string, base: URL | string): WebLink[] {
  const links: WebLink[] = [];
  let i = 0;
  const n = header.length;
  const skipSpace = () => {
    while (i < n && WHITESPACE.test(header[i]!)) i++;
  };
  // Recovers from a malformed link: jumps past the next comma outside <...> and quotes.
  const skipToNextLink = () => {
    let quoted = false;
    let bracketed = false;
    for (; i < n; i++) {
      const c = header[i]!;
      if (quoted) {
        if (c === '\\') i++;
        else if (c === '"') quoted = false;
      } else if (bracketed) {
        if (c === '>') bracketed = false;
      } else if (c === '"') quoted = true;
      else if (c === '<') bracketed = true;
      else if (c === ',') {
        i++;
        return;
      }
    }
  };
  const readToken = (): string => {
    const start = i;
    while (i < n && TOKEN_CHAR.test(header[i]!)) i++;
    return header.slice(start, i);
  };
  const readQuoted = (): string | null => {
    i++; // opening quote
    let out = '';
    while (i < n) {
      const c = header[i]!;
      if (c === '\\' && i + 1 < n) {
        out += header[i + 1];
        i += 2;
      } else if (c === '"') {
        i++;
        return out;
      } else {
        out += c;
        i++;
      }
    }
    return null;
  };

  while (i < n) {
    skipSpace();
    if (header[i] === ',') {
      i++;
      continue;
    }
    if (header[i] !== '<') {
      skipToNextLink();
      continue;
    }
    const close = header.indexOf('>', i + 1);
    if (close < 0) break;
    const target = header.slice(i + 1, close).trim();
    i = close + 1;
    const params: Record<string, string> = {};
    let malformed = false;
    for (;;) {
      skipSpace();
      if (i >= n || header[i] === ',') break;
      if (header[i] !== ';') {
        malformed = true;
        break;
      }
      i++;
      skipSpace();
      const name = readToken().toLowerCase();
      if (name === '') {
        // A stray ";" (as in `<x>;`) ends the parameters without a name; tolerate it.
        if (i >= n || header[i] === ',') break;
        malformed = true;
        break;
      }
      skipSpace();
      let value = '';
      if (header[i] === '=') {
        i++;
        skipSpace();
        if (header[i] === '"') {
          const quoted = readQuoted();
          if (quoted === null) {
            malformed = true;
            break;
          }
          value = quoted;
        } else value = readToken();
      }
      if (!Object.hasOwn(params, name)) params[name] = value;
    }
    if (malformed) {
      skipToNextLink();
      continue;
    }
    let href: URL;
    try {
      href = new URL(target, base);
    } catch {
      continue;
    }
    const rel = (params.rel ?? '')
      .split(/[ \t]+/)
      .filter((r) => r !== '')
      .map((r) => r.toLowerCase());
    links.push({ href, rel, params });
  }
  return links;
}

/**
 * The rel="next" target of a Link header, or null. Links with an `anchor` naming another resource are
 * about that resource, not the page that was read, so they are ignored.
 */
export function findNextLink(header: string | undefined, base: URL): URL | null {
  if (header === undefined || header.trim() === '') return null;
  for (const link of parseLinkHeader(header, base)) {
    if (!link.rel.includes('next')) continue;
    const anchor = link.params.anchor;
    if (anchor !== undefined && anchor !== '' && !sameResource(anchor, base)) continue;
    return link.href;
  }
  return null;
}

function sameResource(reference: string, base: URL): boolean {
  try {
    return new URL(reference, base).href === base.href;
  } catch {
    return false;
  }
}
