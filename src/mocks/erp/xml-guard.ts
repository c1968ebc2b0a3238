/** Limits a SOAP request must keep before any XML parser sees it. */
export interface XmlGuardLimits {
  /** Deepest element nesting allowed (a SOAP request to this contract needs 6). */
  maxDepth: number;
}

/**
 * Screens a request body for what makes XML parsers dangerous, without parsing it: a DOCTYPE (and with it
 * every entity declaration, internal or external) and nesting deeper than `maxDepth`. Returns the reason
 * to refuse, or null. One linear pass, no allocation per element, no recursion.
 */
export function screenXml(text: string, limits: XmlGuardLimits): string | null {
  if (/<!DOCTYPE/i.test(text) || /<!ENTITY/i.test(text))
    return 'a DOCTYPE or entity declaration is not allowed';
  let depth = 0;
  let i = text.indexOf('<');
  while (i !== -1) {
    const next = text[i + 1];
    if (text.startsWith('<!--', i)) i = skipPast(text, i, '-->');
    else if (text.startsWith('<![CDATA[', i)) i = skipPast(text, i, ']]>');
    else if (next === '?') i = skipPast(text, i, '?>');
    else if (next === '/') {
      depth--;
      i = skipPast(text, i, '>');
    } else {
      const end = endOfTag(text, i);
      if (end === -1) return null;
      if (text[end - 1] !== '/') {
        depth++;
        if (depth > limits.maxDepth) return `elements nest deeper than ${limits.maxDepth} levels`;
      }
      i = end + 1;
    }
    // Unterminated markup: the parser reports it with a line and column.
    if (i === -1) return null;
    i = text.indexOf('<', i);
  }
  return null;
}

function skipPast(text: string, from: number, terminator: string): number {
  const at = text.indexOf(terminator, from);
  return at === -1 ? -1 : at + terminator.length;
}

/** Index of the `>` closing the start tag at `from`, skipping quoted attribute values; -1 if none. */
function endOfTag(text: string, from: number): number {
  let quote = '';
  for (let i = from + 1; i < text.length; i++) {
    const c = text[i];
    if (quote !== '') {
      if (c === quote) quote = '';
    } else if (c === '"' || c === "'") quote = c;
    else if (c === '>') return i;
  }
  return -1;
}
