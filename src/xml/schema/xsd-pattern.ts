/**
 * Turns an XSD regular expression (XSD 1.0 Part 2, appendix F) into a JavaScript one, or undefined when it
 * uses what JavaScript cannot say (Unicode block escapes `\p{IsBasicLatin}`, class subtraction): such a
 * facet is not checked, and the destination remains the judge.
 *
 * The differences that matter: an XSD pattern always matches the whole value (no anchors); `^` and `$`
 * are ordinary characters outside a class; `\i`, `\c` (and `\I`, `\C`) are the XML name character classes.
 */
export function xsdPatternToRegExp(pattern: string): RegExp | undefined {
  const NAME_START =
    'A-Z_a-z:\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u02FF\\u0370-\\u037D\\u037F-\\u1FFF\\u200C-\\u200D\\u2070-\\u218F\\u2C00-\\u2FEF\\u3001-\\uD7FF\\uF900-\\uFDCF\\uFDF0-\\uFFFD';
  const NAME_CHAR = `${NAME_START}\\-.0-9\\u00B7\\u0300-\\u036F\\u203F-\\u2040`;
  let out = '';
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] as string;
    if (c === '\\') {
      const next = pattern[i + 1];
      if (next === undefined) return undefined;
      i++;
      if (next === 'i' || next === 'c') {
        const set = next === 'i' ? NAME_START : NAME_CHAR;
        out += inClass ? set : `[${set}]`;
      } else if (next === 'I' || next === 'C') {
        if (inClass) return undefined;
        out += `[^${next === 'I' ? NAME_START : NAME_CHAR}]`;
      } else if (next === 'p' || next === 'P') {
        const close = pattern.indexOf('}', i);
        if (close === -1) return undefined;
        const property = pattern.slice(i + 2, close);
        if (property.startsWith('Is')) return undefined;
        out += `\\${next}{${property}}`;
        i = close;
      } else out += `\\${next}`;
      continue;
    }
    if (inClass) {
      if (c === '[') return undefined;
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      if (pattern[i + 1] === '^') {
        out += '^';
        i++;
      }
      continue;
    }
    out += c === '^' || c === '$' ? `\\${c}` : c;
  }
  if (inClass) return undefined;
  for (const flags of ['u', '']) {
    try {
      return new RegExp(`^(?:${out})$`, flags);
    } catch {
      // The u flag refuses some escapes XSD allows (`\-` outside a class); try without it.
    }
  }
  return undefined;
}
