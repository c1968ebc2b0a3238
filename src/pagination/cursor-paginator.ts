import { readPath } from './dot-path.ts';
import type { Paginator } from './paginator.ts';
import { sourceShapeError } from './shape-error.ts';
import { queryParam } from './token-placement.ts';

/** Settings of the `cursor` style. */
export interface CursorOptions {
  /** Dot path to the next cursor in the body. @default "meta.next_cursor" */
  readonly cursorPath?: string;
  /** Query parameter the cursor is sent in. @default "cursor" */
  readonly cursorParam?: string;
}

/** `cursor`: sends the cursor found in each body with the next request; absent, null or "" ends. */
export function createCursorPaginator(options: CursorOptions = {}): Paginator {
  const cursorPath = options.cursorPath ?? 'meta.next_cursor';
  const cursor = queryParam(options.cursorParam ?? 'cursor');
  return {
    type: 'cursor',
    first: (url) => url,
    next: ({ url, body, pageNumber }) => {
      const found = readPath(body, cursorPath);
      if (!found.found || found.value === null || found.value === '') return null;
      const value = found.value;
      // Numbers are common cursors (an id to continue after); anything else would silently end the read.
      if (typeof value !== 'string' && typeof value !== 'number') {
        throw sourceShapeError({ url, pageNumber }, 'a string or number cursor', cursorPath, { value });
      }
      return cursor.write(url, String(value));
    },
    explainRepeat: (url) =>
      `the cursor ${JSON.stringify(cursor.read(url))} at ${cursorPath} repeats an earlier one`,
  };
}
