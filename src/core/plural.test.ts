import { describe, expect, it } from 'vitest';
import { plural } from './plural.ts';

describe('plural', () => {
  it('says one thing in the singular and any other count in the plural', () => {
    expect(plural(1, 'dead letter')).toBe('1 dead letter');
    expect(plural(0, 'dead letter')).toBe('0 dead letters');
    expect(plural(2, 'extra check')).toBe('2 extra checks');
    expect(plural(1, 'entry', 'entries')).toBe('1 entry');
    expect(plural(5, 'entry', 'entries')).toBe('5 entries');
  });
});
