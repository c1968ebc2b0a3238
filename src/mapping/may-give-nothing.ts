import jsonata from 'jsonata';

interface Node {
  readonly type: string;
  readonly then?: Node;
  readonly else?: Node;
  readonly expressions?: readonly Node[];
}

/**
 * True when a field's expression can give nothing for some records, so the field is left out of the mapped
 * value: a condition without an else (`$p != "" ? $p`), or whose branch can, the last expression of a
 * block that can, or a bare path into the record (a record without that field). Function calls,
 * operators and literals are taken to give a value. A heuristic for `ferry validate`'s warnings, not a
 * proof: an expression it cannot parse counts as giving a value (the mapping check reports it).
 */
export function mayGiveNothing(expression: string): boolean {
  let ast: Node;
  try {
    ast = jsonata(expression).ast() as Node;
  } catch {
    return false;
  }
  return canBeEmpty(ast);
}

function canBeEmpty(node: Node | undefined): boolean {
  if (node === undefined) return true;
  switch (node.type) {
    case 'condition':
      return node.else === undefined || canBeEmpty(node.then) || canBeEmpty(node.else);
    case 'block':
      return canBeEmpty(node.expressions?.at(-1));
    case 'path':
    case 'name':
      return true;
    default:
      return false;
  }
}
