import { describe, expect, it } from 'vitest';
import { parseRetryAfter } from './retry-after.ts';

const now = Date.parse('2026-11-24T08:00:00Z');

describe('parseRetryAfter', () => {
  it('reads delay-seconds as milliseconds', () => {
    expect(parseRetryAfter('120', { now })).toBe(120_000);
    expect(parseRetryAfter(' 0 ', { now })).toBe(0);
    expect(parseRetryAfter('1.5', { now })).toBe(1500);
  });

  it('reads an HTTP-date relative to the injected now', () => {
    expect(parseRetryAfter('Tue, 24 Nov 2026 08:00:30 GMT', { now })).toBe(30_000);
  });

  it('treats a date in the past as no wait', () => {
    expect(parseRetryAfter('Tue, 24 Nov 2026 07:59:00 GMT', { now })).toBe(0);
  });

  it('caps long waits at maxRetryAfterMs, in both forms', () => {
    expect(parseRetryAfter('86400', { now, maxRetryAfterMs: 60_000 })).toBe(60_000);
    expect(parseRetryAfter('Wed, 25 Nov 2026 08:00:00 GMT', { now, maxRetryAfterMs: 60_000 })).toBe(60_000);
    expect(parseRetryAfter('86400', { now })).toBe(300_000);
  });

  it('ignores garbage and absence', () => {
    for (const value of ['soon', '', '-5', '1e3', 'Friday', '12abc']) {
      expect(parseRetryAfter(value, { now }), value).toBeUndefined();
    }
    expect(parseRetryAfter(undefined, { now })).toBeUndefined();
  });
});
