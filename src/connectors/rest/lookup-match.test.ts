import { describe, expect, it } from 'vitest';
import { containsSent, readLookupAnswer, templateFields } from './lookup-match.ts';

const sent = { orderId: 'ORD-1', total: 5, orderDate: '2026-01-01T00:00:00Z', customer: { id: '1' } };
const stored = { ...sent, id: 'srv-9', status: 'new' };
const plain = { recordsPath: '', identityFields: ['orderId'], ignore: new Set<string>() };

describe('readLookupAnswer', () => {
  it('reads a single resource as found, equal or not', () => {
    expect(readLookupAnswer(sent, stored, plain)).toMatchObject({ found: true, matches: true });
    expect(readLookupAnswer(sent, { ...stored, total: 6 }, plain)).toMatchObject({
      found: true,
      matches: false,
    });
  });

  it('reads an empty collection as not found, not as "a different record exists"', () => {
    expect(readLookupAnswer(sent, [], plain)).toEqual({ found: false });
    expect(readLookupAnswer(sent, { data: [] }, { ...plain, recordsPath: 'data' })).toEqual({ found: false });
  });

  it('finds the record in a bare list and in a wrapped one ({"data":[...]}, {"items":[...]}, nested)', () => {
    expect(readLookupAnswer(sent, [stored], plain)).toMatchObject({ found: true, matches: true });
    expect(readLookupAnswer(sent, { data: [stored] }, { ...plain, recordsPath: 'data' })).toMatchObject({
      found: true,
      matches: true,
    });
    expect(readLookupAnswer(sent, { items: [stored] }, { ...plain, recordsPath: 'items' })).toMatchObject({
      found: true,
      matches: true,
    });
    expect(
      readLookupAnswer(sent, { result: { orders: [stored] } }, { ...plain, recordsPath: 'result.orders' }),
    ).toMatchObject({ found: true, matches: true });
  });

  it('ignores listed records of other ids, as from an API that ignores an unknown filter', () => {
    const other = { ...stored, orderId: 'ORD-2', total: 1 };
    expect(readLookupAnswer(sent, [other], plain)).toEqual({ found: false });
    expect(readLookupAnswer(sent, [other, stored], plain)).toMatchObject({ found: true, matches: true });
    expect(readLookupAnswer(sent, [other, { ...stored, total: 7 }], plain)).toMatchObject({
      found: true,
      matches: false,
    });
  });

  it('says what is wrong when records_path does not lead to a list', () => {
    expect(readLookupAnswer(sent, { items: [] }, { ...plain, recordsPath: 'data' })).toEqual({
      invalid: 'the answer has no "data" (lookup.records_path)',
    });
    expect(readLookupAnswer(sent, { data: {} }, { ...plain, recordsPath: 'data' })).toEqual({
      invalid: '"data" in the answer is not a list',
    });
  });
});

describe('containsSent', () => {
  it('skips fields marked not compared, at any depth', () => {
    const later = { ...stored, orderDate: '2026-02-02T00:00:00Z', customer: { id: '1', seen: 'x' } };
    expect(containsSent(sent, later)).toBe(false);
    expect(containsSent(sent, later, new Set(['orderDate']))).toBe(true);
    expect(containsSent(sent, { ...later, customer: { id: '2' } }, new Set(['orderDate']))).toBe(false);
    expect(
      containsSent(sent, { ...later, customer: { id: '2' } }, new Set(['orderDate', 'customer.id'])),
    ).toBe(true);
  });
});

describe('templateFields', () => {
  it('lists the body fields a lookup URL filters by, not {key}', () => {
    expect(templateFields('https://x/orders?orderId={orderId}&k={key}')).toEqual(['orderId']);
  });
});
