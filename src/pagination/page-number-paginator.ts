import type { Paginator } from './paginator.ts';
import { queryParam, type TokenPlacement } from './token-placement.ts';

/** Settings of the `page_number` style. */
export interface PageNumberOptions {
  /** @default "page" */
  readonly pageParam?: string;
  /** @default "per_page" */
  readonly sizeParam?: string;
  /** @default 100 */
  readonly pageSize?: number;
  /** Number of the first page. @default 1 */
  readonly start?: number;
}

/**
 * `page_number`: sends page=start, start+1, ... with a fixed page size, and stops after an empty page or
 * once the records read reach the total the source announced. A short page is not the end: servers cap
 * the page size they were asked for (GitHub's per_page at 100), so stopping there would silently drop the
 * rest; without a total the end costs one extra request (an empty page, or an `end_of_data` answer).
 */
export function createPageNumberPaginator(options: PageNumberOptions = {}): Paginator {
  const page: TokenPlacement = queryParam(options.pageParam ?? 'page');
  const size: TokenPlacement = queryParam(options.sizeParam ?? 'per_page');
  const pageSize = options.pageSize ?? 100;
  const start = options.start ?? 1;
  return {
    type: 'page_number',
    first: (url) => page.write(size.write(url, String(pageSize)), String(start)),
    next: ({ url, records, total, recordsBefore }) => {
      if (records.length === 0) return null;
      if (total !== undefined && recordsBefore !== undefined && recordsBefore + records.length >= total)
        return null;
      const current = Number(page.read(url) ?? start);
      return page.write(url, String((Number.isFinite(current) ? current : start) + 1));
    },
    explainRepeat: (url) => `page number ${page.read(url)} was already requested`,
  };
}
