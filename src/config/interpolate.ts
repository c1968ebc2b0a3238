/** A `${...}` reference inside a config string. */
export type Reference =
  | { readonly kind: 'env'; readonly name: string; readonly fallback?: string }
  | { readonly kind: 'file'; readonly path: string };

/** A config string split into literal text and references. */
export type TemplatePart = { readonly text: string } | { readonly ref: Reference };

const ENV_REFERENCE = /^([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s;

/**
 * Splits a string into literal text and `${VAR}`, `${VAR:-default}`, `${file:path}` references;
 * `$${` stands for a literal `${`. Returns an error text (without the string itself) when malformed.
 */
export function parseTemplate(raw: string): { parts: TemplatePart[] } | { error: string } {
  const parts: TemplatePart[] = [];
  let text = '';
  let index = 0;
  while (index < raw.length) {
    if (raw.startsWith('$${', index)) {
      text += '${';
      index += 3;
      continue;
    }
    if (!raw.startsWith('${', index)) {
      text += raw[index];
      index++;
      continue;
    }
    const end = raw.indexOf('}', index + 2);
    if (end === -1) return { error: `a "\${" at character ${index + 1} is never closed with "}"` };
    const inner = raw.slice(index + 2, end);
    let ref: Reference;
    if (inner.startsWith('file:')) {
      const path = inner.slice('file:'.length);
      if (path === '') return { error: `\${file:} at character ${index + 1} names no file` };
      ref = { kind: 'file', path };
    } else {
      const match = ENV_REFERENCE.exec(inner);
      if (!match) {
        return {
          error:
            `the reference at character ${index + 1} is not \${NAME}, \${NAME:-default} or \${file:path} ` +
            '(write $${ for a literal ${)',
        };
      }
      ref =
        match[2] === undefined
          ? { kind: 'env', name: match[1]! }
          : { kind: 'env', name: match[1]!, fallback: match[2] };
    }
    if (text !== '') parts.push({ text });
    text = '';
    parts.push({ ref });
    index = end + 1;
  }
  if (text !== '') parts.push({ text });
  return { parts };
}

/** What a string references, as written: variable names, and `file:path` for file references. */
export function referencedNames(raw: string): string[] {
  const parsed = parseTemplate(raw);
  if ('error' in parsed) return [];
  return parsed.parts.flatMap((part) =>
    'ref' in part ? [part.ref.kind === 'env' ? part.ref.name : `file:${part.ref.path}`] : [],
  );
}

/** True when the string is exactly one reference and nothing else (how secrets must be written). */
export function isWholeReference(raw: string): boolean {
  const parsed = parseTemplate(raw);
  return 'parts' in parsed && parsed.parts.length === 1 && 'ref' in parsed.parts[0]!;
}
