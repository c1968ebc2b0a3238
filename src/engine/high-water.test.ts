import { describe, expect, it } from 'vitest';
import { compareCursors, createHighWater, cursorOf, sinceFor } from './high-water.ts';

const timestamps = { field: 'updated_at', type: 'timestamp', lookback: 0 } as const;

describe('cursors', () => {
  it('reads RFC 3339 timestamps and numbers (numeric strings too), nothing else', () => {
    expect(cursorOf({ updated_at: '2026-01-02T03:04:05.678Z' }, timestamps)).toBe('2026-01-02T03:04:05.678Z');
    expect(cursorOf({ updated_at: 'March 7' }, timestamps)).toBeUndefined();
    expect(cursorOf({}, timestamps)).toBeUndefined();
    const ids = { field: 'meta.id', type: 'number', lookback: 0 } as const;
    expect(cursorOf({ meta: { id: 42 } }, ids)).toBe(42);
    expect(cursorOf({ meta: { id: '42' } }, ids)).toBe(42);
    expect(cursorOf({ meta: { id: 'x' } }, ids)).toBeUndefined();
  });

  it('orders timestamps as instants whatever their offset', () => {
    expect(compareCursors('2026-01-01T10:00:00+02:00', '2026-01-01T09:00:00Z')).toBeLessThan(0);
    expect(compareCursors('2026-01-01T00:00:00.5Z', '2026-01-01T00:00:00.25Z')).toBeGreaterThan(0);
    expect(compareCursors(3, 10)).toBeLessThan(0);
  });

  it('asks from the mark itself without a lookback, and from before it with one, in UTC', () => {
    expect(sinceFor('2026-01-01T10:00:00.123456+02:00', timestamps)).toBe('2026-01-01T10:00:00.123456+02:00');
    expect(sinceFor('2026-01-01T10:00:00+02:00', { ...timestamps, lookback: 60_000 })).toBe(
      '2026-01-01T07:59:00.000Z',
    );
    expect(sinceFor(100, { field: 'id', type: 'number', lookback: 10 })).toBe(90);
  });
});

describe('the high-water mark', () => {
  it('moves to the highest settled cursor when a read completes, not past a record to retry, never back', () => {
    const mark = createHighWater(timestamps, {
      field: 'updated_at',
      mark: '2026-01-01T00:00:00Z',
      pending: null,
      retryFrom: null,
    });
    expect(mark.since()).toBe('2026-01-01T00:00:00Z');
    mark.pageSettled('2026-01-03T00:00:00Z', null);
    mark.pageSettled('2026-01-02T00:00:00Z', '2026-01-02T12:00:00Z');
    expect(mark.snapshot(false)).toEqual({
      field: 'updated_at',
      mark: '2026-01-01T00:00:00Z',
      pending: '2026-01-03T00:00:00Z',
      retryFrom: '2026-01-02T12:00:00Z',
    });
    expect(mark.snapshot(true).mark).toBe('2026-01-02T12:00:00Z');

    const older = createHighWater(timestamps, {
      field: 'updated_at',
      mark: '2026-02-01T00:00:00Z',
      pending: null,
      retryFrom: null,
    });
    older.pageSettled('2026-01-15T00:00:00Z', null);
    expect(older.snapshot(true).mark).toBe('2026-02-01T00:00:00Z');
  });
});
