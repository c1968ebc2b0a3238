/**
 * Where a paginator's token (page number, offset, cursor) travels, split from the paginator that computes
 * it so a style does not care about the parameter's name. Only query parameters so far: a paginator's
 * result is a URL, and every supported API takes its paging token there.
 */
export interface TokenPlacement {
  /** The token currently carried by `url`, or null when it carries none. */
  read(url: URL): string | null;
  /** A copy of `url` carrying `value` (replacing any previous value). */
  write(url: URL, value: string): URL;
}

/** Places a token in the query parameter `name`. */
export function queryParam(name: string): TokenPlacement {
  return {
    read: (url) => url.searchParams.get(name),
    write: (url, value) => {
      const out = new URL(url);
      out.searchParams.set(name, value);
      return out;
    },
  };
}
