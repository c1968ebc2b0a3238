import { describe, expect, it } from 'vitest';
import { findNextLink, parseLinkHeader } from './link-header.ts';

const base = new URL('https://api.example.com/v1/customers?page=2');

describe('Link header parsing (RFC 8288)', () => {
  it('finds rel=next among several links, GitHub style', () => {
    const header =
      '<https://api.example.com/v1/customers?page=3>; rel="next", <https://api.example.com/v1/customers?page=9>; rel="last"';
    expect(findNextLink(header, base)?.href).toBe('https://api.example.com/v1/customers?page=3');
  });

  it('resolves relative targets against the request URL', () => {
    expect(findNextLink('<?page=3>; rel=next', base)?.href).toBe(
      'https://api.example.com/v1/customers?page=3',
    );
    expect(findNextLink('<../orders?page=1>; rel="next"', base)?.href).toBe(
      'https://api.example.com/orders?page=1',
    );
  });

  it('reads rel lists and is case-insensitive about names and relation types', () => {
    expect(findNextLink('</p3>; REL="last NEXT"', base)?.href).toBe('https://api.example.com/p3');
    expect(findNextLink('</p3>; rel="nextish"', base)).toBeNull();
  });

  it('keeps commas and semicolons inside quoted parameters and targets', () => {
    const header =
      '</a?x=1,2;3>; title="prev, or; not"; rel="prev", </b>; title="q \\"quoted\\", yes"; rel="next"';
    const links = parseLinkHeader(header, base);
    expect(links.map((l) => l.href.pathname)).toEqual(['/a', '/b']);
    expect(links[0]?.href.search).toBe('?x=1,2;3');
    expect(links[1]?.params.title).toBe('q "quoted", yes');
    expect(findNextLink(header, base)?.pathname).toBe('/b');
  });

  it('uses the first rel when a link repeats it', () => {
    expect(findNextLink('</x>; rel="prev"; rel="next"', base)).toBeNull();
  });

  it('skips malformed links and goes on to the next one', () => {
    const header = 'garbage; rel="next", </x>; rel="next" junk, </y>; rel="next"';
    expect(findNextLink(header, base)?.pathname).toBe('/y');
  });

  it('ignores a next link anchored to another resource', () => {
    expect(findNextLink('</x>; rel="next"; anchor="/elsewhere"', base)).toBeNull();
    expect(findNextLink('</x>; rel="next"; anchor="#"', base)).toBeNull();
    expect(findNextLink(`</x>; rel="next"; anchor="${base.href}"`, base)?.pathname).toBe('/x');
  });

  it('returns null for an absent or empty header', () => {
    expect(findNextLink(undefined, base)).toBeNull();
    expect(findNextLink('  ', base)).toBeNull();
  });
});
