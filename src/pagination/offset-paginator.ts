import type { Paginator } from './paginator.ts';
import { queryParam } from './token-placement.ts';

/** Settings of the `offset` style. */
export interface OffsetOptions {
  /** @default "offset" */
  readonly offsetParam?: string;
  /** @default "limit" */
  readonly limitParam?: string;
  /** @default 100 */
  readonly limit?: number;
}

/**
 * `offset`: sends offset=0, then advances it by the number of records received, until a page comes back
 * empty or the offset reaches the total the source announced. A short page is not the end: servers cap
 * the limit they were asked for (and say nothing), so stopping there would silently drop the rest.
 */
export function createOffsetPaginator(options: OffsetOptions = {}): Paginator {
  const offset = queryParam(options.offsetParam ?? 'offset');
  const limitParam = queryParam(options.limitParam ?? 'limit');
  const limit = options.limit ?? 100;
  return {
    type: 'offset',
    first: (url) => offset.write(limitParam.write(url, String(limit)), '0'),
    next: ({ url, records, total }) => {
      if (records.length === 0) return null;
      const current = Number(offset.read(url) ?? 0);
      const nextOffset = (Number.isFinite(current) ? current : 0) + records.length;
      if (total !== undefined && nextOffset >= total) return null;
      return offset.write(url, String(nextOffset));
    },
    explainRepeat: (url) => `offset ${offset.read(url)} was already requested`,
  };
}
