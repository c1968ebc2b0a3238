import { findNextLink } from './link-header.ts';
import type { Paginator } from './paginator.ts';

/** `link_header`: follows the RFC 8288 `Link: <...>; rel="next"` header until a page has none. */
export function createLinkHeaderPaginator(): Paginator {
  return {
    type: 'link_header',
    first: (url) => url,
    next: ({ url, response }) => findNextLink(response.headers.link, url),
    explainRepeat: () => 'the Link rel="next" header does not advance',
  };
}
