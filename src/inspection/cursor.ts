import { FerryError } from '../core/errors.ts';

/**
 * An opaque page cursor: where the next page starts, as base64url JSON tagged with what it pages, so a
 * cursor of runs handed to the dead-letter listing is refused instead of misread.
 */
export function encodeCursor(kind: string, position: string | number): string {
  return Buffer.from(JSON.stringify({ k: kind, p: position })).toString('base64url');
}

/** The position a cursor holds; FERRY_ERR_USAGE when it is not one `encodeCursor(kind, …)` made. */
export function decodeCursor<P extends 'string' | 'number'>(
  kind: string,
  cursor: string,
  type: P,
): P extends 'string' ? string : number {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const { k, p } = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as {
    k?: unknown;
    p?: unknown;
  };
  if (k !== kind || typeof p !== type) {
    throw new FerryError(
      'FERRY_ERR_USAGE',
      `the cursor "${cursor.slice(0, 80)}" is not a cursor of ${kind}`,
      {
        details: { cursor: cursor.slice(0, 80) },
      },
    );
  }
  return p as P extends 'string' ? string : number;
}

/** One page of a listing, and the cursor of the next (null on the last page). */
export interface Page<T> {
  readonly items: readonly T[];
  readonly nextCursor: string | null;
}
