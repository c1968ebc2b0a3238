import { describe, expect, it } from 'vitest';
import { hasErrorCode } from '../core/errors.ts';
import { createPaginationGuard } from './pagination-guard.ts';

const url = (page: number) => new URL(`https://api.example.com/customers?page=${page}`);

function guard() {
  return createPaginationGuard({ sourceUrl: 'https://api.example.com/customers', endpoint: 'customers' });
}

describe('pagination guard: repeated pages', () => {
  it('stops at a page equal to the page before it', () => {
    const g = guard();
    g.checkRecords(1, url(1), [{ id: 1 }, { id: 2 }]);
    let error: unknown;
    try {
      g.checkRecords(2, url(2), [{ id: 1 }, { id: 2 }]);
    } catch (e) {
      error = e;
    }
    expect(hasErrorCode(error, 'FERRY_ERR_SOURCE_PAGINATION')).toBe(true);
    expect(String(error)).toContain('page 2 of customers');
    expect(String(error)).toContain('repeats page 1: the same 2 records');
  });

  it.each([
    ['differs after the same first record', [{ id: 1 }, { id: 3 }]],
    ['has one record more', [{ id: 1 }, { id: 2 }, { id: 3 }]],
    ['starts with another record', [{ id: 0 }, { id: 2 }]],
  ])('lets a page through that %s', (_, records) => {
    const g = guard();
    g.checkRecords(1, url(1), [{ id: 1 }, { id: 2 }]);
    expect(() => g.checkRecords(2, url(2), records)).not.toThrow();
  });

  it('compares only neighbouring pages, and an empty page ends the comparison', () => {
    const g = guard();
    g.checkRecords(1, url(1), [{ id: 1 }]);
    g.checkRecords(2, url(2), [{ id: 2 }]);
    expect(() => g.checkRecords(3, url(3), [{ id: 1 }])).not.toThrow();
    g.checkRecords(4, url(4), []);
    expect(() => g.checkRecords(5, url(5), [])).not.toThrow();
    expect(() => g.checkRecords(6, url(6), [{ id: 1 }])).not.toThrow();
    expect(() => g.checkRecords(7, url(7), [{ id: 1 }])).toThrow(/repeats page 6/);
  });
});
