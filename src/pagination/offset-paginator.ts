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
 * shorter than the limit (an empty page is short too).
 */
export function createOffsetPaginator(options: OffsetOptions = {}): Paginator {
  const offset = queryParam(options.offsetParam ?? 'offset');
  const limitParam = queryParam(options.limitParam ?? 'limit');
  const limit = options.limit ?? 100;
  return {
    type: 'offset',
    first: (url) => offset.write(limitParam.write(url, String(limit)), '0'),
    next: ({ url, records }) => {
      if (records.length < limit) return null;
      const current = Number(offset.read(url) ?? 0);
      return offset.write(url, String((Number.isFinite(current) ? current : 0) + records.length));
    },
    explainRepeat: (url) => `offset ${offset.read(url)} was already requested`,
  };
}
