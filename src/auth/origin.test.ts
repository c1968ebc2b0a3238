import { describe, expect, it } from 'vitest';
import { isAllowedOrigin, normalizeOrigins } from './origin.ts';

describe('isAllowedOrigin', () => {
  const allowed = normalizeOrigins(['https://api.example.com:443/', 'http://127.0.0.1:4000']);

  it('allows URLs on an allowed origin and refuses others, including other ports and schemes', () => {
    expect(isAllowedOrigin('https://API.example.com/v1/orders', allowed)).toBe(true);
    expect(isAllowedOrigin('http://127.0.0.1:4000/api/v2/orders', allowed)).toBe(true);
    expect(isAllowedOrigin('http://api.example.com/v1/orders', allowed)).toBe(false);
    expect(isAllowedOrigin('http://127.0.0.1:4001/api/v2/orders', allowed)).toBe(false);
    expect(isAllowedOrigin('https://api.example.com.evil.test/', allowed)).toBe(false);
  });

  it('refuses a URL that does not parse', () => {
    expect(isAllowedOrigin('::nonsense', allowed)).toBe(false);
  });
});
