// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${...} is the config reference syntax under test, not a template
import { describe, expect, it } from 'vitest';
import { isWholeReference, parseTemplate } from './interpolate.ts';

describe('parseTemplate', () => {
  it('splits text and references', () => {
    expect(parseTemplate('${DEST_URL}/{key}')).toEqual({
      parts: [{ ref: { kind: 'env', name: 'DEST_URL' } }, { text: '/{key}' }],
    });
    expect(parseTemplate('${A:-}')).toEqual({ parts: [{ ref: { kind: 'env', name: 'A', fallback: '' } }] });
    expect(parseTemplate('${A:-x:y}')).toEqual({
      parts: [{ ref: { kind: 'env', name: 'A', fallback: 'x:y' } }],
    });
    expect(parseTemplate('${file:/run/secrets/k}')).toEqual({
      parts: [{ ref: { kind: 'file', path: '/run/secrets/k' } }],
    });
  });

  it('reads $${ as a literal ${', () => {
    expect(parseTemplate('a$${B}c')).toEqual({ parts: [{ text: 'a${B}c' }] });
  });

  it('rejects malformed references', () => {
    expect(parseTemplate('${not closed')).toHaveProperty('error');
    expect(parseTemplate('${1BAD}')).toHaveProperty('error');
    expect(parseTemplate('${file:}')).toHaveProperty('error');
  });

  it('knows when a string is exactly one reference', () => {
    expect(isWholeReference('${A}')).toBe(true);
    expect(isWholeReference('${file:x}')).toBe(true);
    expect(isWholeReference('x${A}')).toBe(false);
    expect(isWholeReference('${A}${B}')).toBe(false);
    expect(isWholeReference('plain')).toBe(false);
  });
});
