import { describe, expect, it } from 'vitest';
import { flatten, isIgnored, storedMatches } from './flatten.ts';

describe('flatten', () => {
  it('turns nested objects into dot paths, leaving lists, scalars and null as leaves', () => {
    expect([...flatten({ a: 1, b: { c: 'x', d: { e: null } }, f: [1, { g: 2 }], h: {} })]).toEqual([
      ['a', 1],
      ['b.c', 'x'],
      ['b.d.e', null],
      ['f', [1, { g: 2 }]],
    ]);
  });

  it('compares what was sent with what is stored, ignoring the ignored fields and their insides', () => {
    const sent = flatten({ id: 1, at: 'now', address: { city: 'X' } });
    const stored = flatten({ id: 1, at: 'then', address: { city: 'Y' }, extra: true });
    expect(storedMatches(sent, stored, ['at', 'address'])).toBe(true);
    expect(storedMatches(sent, stored, ['at'])).toBe(false);
    expect(isIgnored('address.city', ['address'])).toBe(true);
    expect(isIgnored('addressee', ['address'])).toBe(false);
  });
});
