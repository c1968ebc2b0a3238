import { readPath } from './dot-path.ts';
import type { Paginator } from './paginator.ts';
import { sourceShapeError } from './shape-error.ts';

/** Settings of the `next_url` style. */
export interface NextUrlOptions {
  /** Dot path to the next page's URL in the body. @default "links.next" */
  readonly nextUrlPath?: string;
}

/**
 * `next_url`: follows a next-page URL found in each body (relative URLs resolve against the page's
 * URL); absent, null or "" ends.
 */
export function createNextUrlPaginator(options: NextUrlOptions = {}): Paginator {
  const nextUrlPath = options.nextUrlPath ?? 'links.next';
  return {
    type: 'next_url',
    first: (url) => url,
    next: ({ url, body, pageNumber }) => {
      const found = readPath(body, nextUrlPath);
      if (!found.found || found.value === null) return null;
      const value = found.value;
      if (typeof value !== 'string') {
        throw sourceShapeError({ url, pageNumber }, 'a next-page URL (string)', nextUrlPath, { value });
      }
      if (value.trim() === '') return null;
      if (!URL.canParse(value.trim(), url.href)) {
        throw sourceShapeError({ url, pageNumber }, 'a next-page URL', nextUrlPath, { value: 'not a URL' });
      }
      return new URL(value.trim(), url);
    },
    explainRepeat: () => `the next URL at ${nextUrlPath} does not advance`,
  };
}
