import { describe, expect, it } from 'vitest';
import { KeyIndex, placeOf, positionOf } from './key-index.ts';

describe('key index', () => {
  it('finds every position a key was added at, through growth', () => {
    const index = new KeyIndex();
    for (let i = 0; i < 50_000; i++) index.add(`ORD-${i}`, positionOf(1 + (i % 3), i * 100));
    index.add('ORD-7', positionOf(9, 5));
    expect(index.size).toBe(50_001);
    expect(index.candidates('ORD-7')).toEqual([positionOf(2, 700), positionOf(9, 5)]);
    expect(index.candidates('ORD-49999')).toEqual([positionOf(2, 4_999_900)]);
    expect(index.candidates('ORD-50000')).toEqual([]);
  });

  it('packs a file number and an offset into one position', () => {
    expect(placeOf(positionOf(3, 123_456_789_012))).toEqual({ file: 3, offset: 123_456_789_012 });
  });
});
