import { describe, expect, it } from 'vitest';
import { parseRateLimitHeaders } from './rate-limit-headers.ts';

const now = 1_790_000_000_000;

describe('parseRateLimitHeaders', () => {
  it('reads the IETF draft RateLimit-Limit/Remaining/Reset headers (reset in seconds from now)', () => {
    expect(
      parseRateLimitHeaders(
        { 'ratelimit-limit': '300', 'ratelimit-remaining': '12', 'ratelimit-reset': '1' },
        now,
      ),
    ).toEqual({ limit: 300, remaining: 12, resetMs: 1000 });
  });

  it('reads the combined RateLimit header of the older draft', () => {
    expect(parseRateLimitHeaders({ ratelimit: 'limit=100, remaining=50, reset=5' }, now)).toEqual({
      limit: 100,
      remaining: 50,
      resetMs: 5000,
    });
  });

  it('reads the newer structured RateLimit and RateLimit-Policy headers, window included', () => {
    expect(
      parseRateLimitHeaders(
        { ratelimit: '"default";r=50;t=30', 'ratelimit-policy': '"default";q=100;w=60' },
        now,
      ),
    ).toEqual({ limit: 100, remaining: 50, resetMs: 30_000, windowMs: 60_000 });
  });

  it('reads X-RateLimit-Reset as an epoch timestamp when it is one', () => {
    const resetAtSeconds = now / 1000 + 42;
    expect(
      parseRateLimitHeaders(
        {
          'x-ratelimit-limit': '5000',
          'x-ratelimit-remaining': '0',
          'x-ratelimit-reset': String(resetAtSeconds),
        },
        now,
      ),
    ).toEqual({ limit: 5000, remaining: 0, resetMs: 42_000 });
  });

  it('reads X-RateLimit-Reset as seconds from now when it is small', () => {
    expect(parseRateLimitHeaders({ 'x-ratelimit-reset': '60' }, now)).toEqual({ resetMs: 60_000 });
  });

  it('reads an epoch in milliseconds too', () => {
    expect(parseRateLimitHeaders({ 'x-ratelimit-reset': String(now + 1500) }, now)).toEqual({
      resetMs: 1500,
    });
  });

  it('prefers the standard headers over X- ones and ignores garbage', () => {
    expect(
      parseRateLimitHeaders(
        { 'ratelimit-limit': '10', 'x-ratelimit-limit': '99', 'ratelimit-remaining': 'lots' },
        now,
      ),
    ).toEqual({ limit: 10 });
    expect(parseRateLimitHeaders({}, now)).toEqual({});
  });
});
