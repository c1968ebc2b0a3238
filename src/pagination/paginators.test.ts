import { describe, expect, it } from 'vitest';
import type { HttpResponse } from '../core/http-types.ts';
import { createPaginator } from './create-paginator.ts';
import { readPath } from './dot-path.ts';
import type { PageContext } from './paginator.ts';

const response: HttpResponse = { status: 200, headers: {}, body: Buffer.from(''), url: '' };
const page = (url: string, records: unknown[], body: unknown = records): PageContext => ({
  url: new URL(url),
  response,
  body,
  records,
  pageNumber: 1,
  recordsBefore: 0,
});
const rows = (n: number) => Array.from({ length: n }, (_, i) => ({ i }));

describe('paginators', () => {
  it('page_number keeps other query parameters, goes on after a short page and stops on an empty one', async () => {
    const p = createPaginator({
      type: 'page_number',
      pageParam: 'pg',
      sizeParam: 'n',
      pageSize: 2,
      start: 1,
    });
    const first = p.first(new URL('https://h/c?status=active'));
    expect(first.href).toBe('https://h/c?status=active&n=2&pg=1');
    expect(p.next(page(first.href, rows(2)))?.href).toBe('https://h/c?status=active&n=2&pg=2');
    // A server capping the page size answers short pages that are not the end.
    expect(p.next(page(first.href, rows(1)))?.href).toBe('https://h/c?status=active&n=2&pg=2');
    expect(p.next(page(first.href, []))).toBeNull();
  });

  it('page_number stops once the records read reach the announced total', () => {
    const p = createPaginator({ type: 'page_number', pageSize: 500 });
    const at = (recordsBefore: number, n: number, total?: number) =>
      p.next({
        ...page('https://h/c?page=3', rows(n)),
        recordsBefore,
        ...(total === undefined ? {} : { total }),
      });
    expect(at(200, 100, 1050)?.href).toBe('https://h/c?page=4');
    expect(at(1000, 50, 1050)).toBeNull();
    expect(at(1000, 50)?.href).toBe('https://h/c?page=4');
  });

  it('offset advances by the records received, past short pages, until an empty page or the total', () => {
    const p = createPaginator({ type: 'offset', offsetParam: 'o', limitParam: 'l', limit: 3 });
    const first = p.first(new URL('https://h/c'));
    expect(first.href).toBe('https://h/c?l=3&o=0');
    expect(p.next(page(first.href, rows(3)))?.href).toBe('https://h/c?l=3&o=3');
    expect(p.next(page(first.href, rows(2)))?.href).toBe('https://h/c?l=3&o=2');
    expect(p.next(page(first.href, []))).toBeNull();
    expect(p.next({ ...page('https://h/c?l=3&o=6', rows(2)), total: 8 })).toBeNull();
    expect(p.next({ ...page('https://h/c?l=3&o=6', rows(2)), total: 9 })?.href).toBe('https://h/c?l=3&o=8');
  });

  it('cursor stops when the cursor is absent, null or empty, and accepts numeric cursors', () => {
    const p = createPaginator({ type: 'cursor', cursorPath: 'meta.next', cursorParam: 'c' });
    const at = (meta: unknown) => p.next(page('https://h/c', rows(1), { meta }));
    expect(at({ next: 'abc' })?.href).toBe('https://h/c?c=abc');
    expect(at({ next: 42 })?.href).toBe('https://h/c?c=42');
    expect(at({ next: null })).toBeNull();
    expect(at({ next: '' })).toBeNull();
    expect(at({})).toBeNull();
  });

  it('cursor refuses an object where the cursor should be instead of silently ending the read', () => {
    const p = createPaginator({ type: 'cursor', cursorPath: 'meta.next', cursorParam: 'c' });
    expect(() => p.next(page('https://h/c', rows(1), { meta: { next: { id: 1 } } }))).toThrow(
      /expected a string or number cursor at meta\.next, found object/,
    );
  });

  it('next_url resolves a relative URL and stops when it is absent', () => {
    const p = createPaginator({ type: 'next_url', nextUrlPath: 'links.next' });
    expect(p.next(page('https://h/v1/c?x=1', [], { links: { next: 'c?after=9' } }))?.href).toBe(
      'https://h/v1/c?after=9',
    );
    expect(p.next(page('https://h/v1/c', [], { links: {} }))).toBeNull();
    expect(p.next(page('https://h/v1/c', [], { links: { next: null } }))).toBeNull();
  });

  it('none reads one page whatever the response says', () => {
    const p = createPaginator({ type: 'none' });
    expect(
      p.next({
        ...page('https://h/c', rows(5)),
        response: { ...response, headers: { link: '</n>; rel="next"' } },
      }),
    ).toBeNull();
  });
});

describe('dot paths', () => {
  it('follows own properties and array indexes, never the prototype chain', () => {
    expect(readPath({ a: { b: [1, { c: 2 }] } }, 'a.b.1.c')).toEqual({ found: true, value: 2 });
    expect(readPath({ a: {} }, 'a.b.c')).toEqual({ found: false, missingAt: 'a.b' });
    expect(readPath({}, 'constructor')).toEqual({ found: false, missingAt: 'constructor' });
    expect(readPath([1], '')).toEqual({ found: true, value: [1] });
  });
});
