import { describe, expect, it } from 'vitest';
import { toSecondPrecision } from './timestamp.ts';

describe('toSecondPrecision', () => {
  it('drops the milliseconds and follows the clock to the next second and back', () => {
    expect(toSecondPrecision(new Date('2026-11-24T10:00:00.999Z'))).toBe('2026-11-24T10:00:00Z');
    expect(toSecondPrecision(new Date('2026-11-24T10:00:00.001Z'))).toBe('2026-11-24T10:00:00Z');
    expect(toSecondPrecision(new Date('2026-11-24T10:00:01.000Z'))).toBe('2026-11-24T10:00:01Z');
    expect(toSecondPrecision(new Date('2026-11-24T09:59:59.500Z'))).toBe('2026-11-24T09:59:59Z');
  });
});
