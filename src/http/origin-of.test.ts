import { describe, expect, it } from 'vitest';
import { originOf, targetOf } from './origin-of.ts';

describe('originOf', () => {
  it('gives the WHATWG origin: scheme and host lower-cased, default port left out', () => {
    expect(originOf('HTTPS://API.Example.com:443/v1/orders?x=1')).toBe('https://api.example.com');
    expect(originOf('http://127.0.0.1:8080/a')).toBe('http://127.0.0.1:8080');
  });

  it('answers the same for a URL asked about again, and for each of many different URLs', () => {
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 600; i++) {
        expect(originOf(`https://h${i % 300}.example.com:${8000 + i}/x/${i}`)).toBe(
          `https://h${i % 300}.example.com:${8000 + i}`,
        );
      }
    }
  });

  it('throws for a URL that does not parse, every time it is asked', () => {
    expect(() => originOf('not a url')).toThrow();
    expect(() => originOf('not a url')).toThrow();
  });

  it('splits a URL into its origin and its path with the query string', () => {
    expect(targetOf('HTTPS://API.Example.com:443/v1/orders?page=2&x=%20y')).toEqual({
      origin: 'https://api.example.com',
      path: '/v1/orders?page=2&x=%20y',
    });
    expect(targetOf('http://127.0.0.1:8080')).toEqual({ origin: 'http://127.0.0.1:8080', path: '/' });
  });
});
