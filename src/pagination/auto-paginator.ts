import { findNextLink } from './link-header.ts';
import type { Paginator } from './paginator.ts';

/**
 * `auto`, the default: follows a `Link: rel="next"` header whenever the source sends one, and otherwise
 * takes the first response as the only page. The same config thus reads a paginating API and a plain one.
 */
export function createAutoPaginator(): Paginator {
  return {
    type: 'auto',
    first: (url) => url,
    next: ({ url, response }) => findNextLink(response.headers.link, url),
    explainRepeat: () => 'the Link rel="next" header does not advance',
  };
}
