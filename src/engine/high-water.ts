import type { IncrementalCursor } from '../core/connector-types.ts';
import type { CursorValue, HighWaterMark } from '../core/ledger-types.ts';
import { readPath } from '../pagination/dot-path.ts';

// RFC 3339 date-time: what a cursor of type timestamp must be; Date.parse alone would take "March 7".
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** The cursor value of a source record, or undefined when it has none of the cursor's type. */
export function cursorOf(record: unknown, cursor: IncrementalCursor): CursorValue | undefined {
  const found = readPath(record, cursor.field);
  if (!found.found) return undefined;
  const value = found.value;
  if (cursor.type === 'timestamp') {
    return typeof value === 'string' && RFC3339.test(value) && !Number.isNaN(Date.parse(value))
      ? value
      : undefined;
  }
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value)) return Number(value);
  return undefined;
}

/** Orders two cursor values of one type: timestamps as instants (then as text, for sub-millisecond digits). */
export function compareCursors(a: CursorValue, b: CursorValue): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const byInstant = Date.parse(String(a)) - Date.parse(String(b));
  if (byInstant !== 0 && !Number.isNaN(byInstant)) return byInstant;
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

/** The larger of two cursor values, either possibly missing. */
export function laterCursor(a: CursorValue | null, b: CursorValue | null): CursorValue | null {
  if (a === null) return b;
  if (b === null) return a;
  return compareCursors(a, b) >= 0 ? a : b;
}

/** The smaller of two cursor values, either possibly missing. */
export function earlierCursor(a: CursorValue | null, b: CursorValue | null): CursorValue | null {
  if (a === null) return b;
  if (b === null) return a;
  return compareCursors(a, b) <= 0 ? a : b;
}

/**
 * What a read asks for: the records at or after the mark, less the lookback. A timestamp moved back is
 * written in UTC to the millisecond, rounded down, so the request never starts after the mark.
 */
export function sinceFor(mark: CursorValue, cursor: IncrementalCursor): CursorValue {
  if (cursor.lookback <= 0) return mark;
  if (typeof mark === 'number') return mark - cursor.lookback;
  return new Date(Math.floor(Date.parse(mark)) - cursor.lookback).toISOString();
}

/**
 * Keeps an incremental read's high-water mark as its pages settle: the mark of the last complete read stays
 * until this read completes; meanwhile `pending` (the highest cursor settled) and `retryFrom` (the lowest
 * cursor of a record that failed without a refusal) travel with every checkpoint, so a resumed read keeps
 * them. When the read completes, the mark moves to the pending value, but not past a record to retry, and
 * never back.
 */
export function createHighWater(cursor: IncrementalCursor, stored: HighWaterMark | null) {
  // A mark taken from another field (the config changed) says nothing about this one: read everything.
  const start = stored !== null && stored.field === cursor.field ? stored : null;
  const mark = start?.mark ?? null;
  let pending = start?.pending ?? null;
  let retryFrom = start?.retryFrom ?? null;
  return {
    /** What the read asks for: since the mark, or before the first complete read the start (or everything). */
    since(): CursorValue | undefined {
      return mark === null ? cursor.start : sinceFor(mark, cursor);
    },
    /** A page settled: its highest cursor, and the lowest of its records to retry. */
    pageSettled(highest: CursorValue | null, lowestToRetry: CursorValue | null): void {
      pending = laterCursor(pending, highest);
      retryFrom = earlierCursor(retryFrom, lowestToRetry);
    },
    /** What to store with a checkpoint; `complete` when the read reached its end. */
    snapshot(complete: boolean): HighWaterMark {
      if (!complete) return { field: cursor.field, mark, pending, retryFrom };
      const reached = retryFrom === null ? pending : earlierCursor(pending, retryFrom);
      return { field: cursor.field, mark: laterCursor(mark, reached), pending: null, retryFrom: null };
    },
  };
}

export type HighWater = ReturnType<typeof createHighWater>;
