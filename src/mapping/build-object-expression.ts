import type { FieldSpec } from './parse-mapping-file.ts';

/** The output tree as one JSONata object constructor, and a way back from an error position to its field. */
export interface ObjectExpression {
  readonly text: string;
  /** The destination field (dot path) whose expression holds this character position, if any. */
  fieldAt(position: number | null): string | null;
}

interface Branch {
  readonly children: Map<string, Branch | FieldSpec>;
}

/**
 * Nests every leaf expression, parenthesised, into one object constructor, so a record is mapped in a single
 * evaluation and fields whose expressions yield nothing simply drop out of the body.
 */
export function buildObjectExpression(fields: readonly FieldSpec[]): ObjectExpression {
  const root: Branch = { children: new Map() };
  for (const field of fields) {
    let branch = root;
    for (const segment of field.target.slice(0, -1)) {
      let next = branch.children.get(segment);
      if (next === undefined || !('children' in next)) {
        next = { children: new Map() };
        branch.children.set(segment, next);
      }
      branch = next;
    }
    branch.children.set(field.target.at(-1)!, field);
  }

  const ranges: { start: number; end: number; path: string }[] = [];
  let text = '';
  const write = (branch: Branch, indent: string): void => {
    text += '{\n';
    let first = true;
    for (const [name, node] of branch.children) {
      text += `${first ? '' : ',\n'}${indent}  ${JSON.stringify(name)}: `;
      first = false;
      if ('children' in node) {
        write(node, `${indent}  `);
      } else {
        // The newline before ")" keeps a trailing comment or odd spacing in the leaf from swallowing it.
        text += '(';
        const start = text.length;
        text += node.expr;
        ranges.push({ start, end: text.length, path: node.target.join('.') });
        text += '\n)';
      }
    }
    text += `\n${indent}}`;
  };
  write(root, '');

  return {
    text,
    fieldAt(position) {
      if (position === null) return null;
      // JSONata positions point just past the token at fault, so the end is inclusive.
      const hit = ranges.find((r) => position >= r.start && position <= r.end + 1);
      return hit?.path ?? null;
    },
  };
}
