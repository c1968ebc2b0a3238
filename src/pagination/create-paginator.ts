import { createAutoPaginator } from './auto-paginator.ts';
import { type CursorOptions, createCursorPaginator } from './cursor-paginator.ts';
import { createLinkHeaderPaginator } from './link-header-paginator.ts';
import { createNextUrlPaginator, type NextUrlOptions } from './next-url-paginator.ts';
import { createNonePaginator } from './none-paginator.ts';
import { createOffsetPaginator, type OffsetOptions } from './offset-paginator.ts';
import { createPageNumberPaginator, type PageNumberOptions } from './page-number-paginator.ts';
import type { Paginator } from './paginator.ts';

/**
 * A pagination style and its settings, in code's camelCase; the parsed `pagination` config block
 * (PaginationConfig in src/config) fits this type as is. `maxPages` is read by the source's guard.
 */
export type PaginationOptions = { readonly maxPages?: number } & (
  | { readonly type: 'auto' }
  | { readonly type: 'none' }
  | { readonly type: 'link_header' }
  | ({ readonly type: 'page_number' } & PageNumberOptions)
  | ({ readonly type: 'offset' } & OffsetOptions)
  | ({ readonly type: 'cursor' } & CursorOptions)
  | ({ readonly type: 'next_url' } & NextUrlOptions)
);

/** Builds the paginator for a style; every built-in style is listed here and nowhere else. */
export function createPaginator(options: PaginationOptions): Paginator {
  switch (options.type) {
    case 'auto':
      return createAutoPaginator();
    case 'none':
      return createNonePaginator();
    case 'link_header':
      return createLinkHeaderPaginator();
    case 'page_number':
      return createPageNumberPaginator(options);
    case 'offset':
      return createOffsetPaginator(options);
    case 'cursor':
      return createCursorPaginator(options);
    case 'next_url':
      return createNextUrlPaginator(options);
  }
}
