import type { Paginator } from './paginator.ts';

/** `none`: one request, one page. */
export function createNonePaginator(): Paginator {
  return { type: 'none', first: (url) => url, next: () => null };
}
