import { didYouMean } from '../config/did-you-mean.ts';
import { JSONATA_FUNCTION_NAMES } from './jsonata-functions.ts';

/** Something a JSONata expression gets wrong that its syntax alone does not show. */
export interface ExpressionLint {
  /** An unknown function fails every record; a field a closed input schema lacks can never be there. */
  readonly severity: 'error' | 'warning';
  /** Character offset in the expression, when the AST has one. */
  readonly position: number | null;
  readonly message: string;
}

type Node = Readonly<Record<string, unknown>>;
type SchemaObject = Readonly<Record<string, unknown>>;

// Keys whose expressions are evaluated against something other than the record: a filter or sort sees
// each item, a group each match, a lambda its arguments.
const OTHER_CONTEXT_KEYS = new Set(['predicate', 'stages', 'group', 'body', 'expr', 'terms']);

function isNode(value: unknown): value is Node {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asSchema(value: unknown): SchemaObject | null {
  return isNode(value) ? value : null;
}

/**
 * Checks a parsed JSONata expression (its `ast()`) for calls to functions JSONata does not have and, when
 * the record's JSON Schema is given, for record fields that schema does not describe (an error where the
 * schema is closed with `additionalProperties: false`, a warning where it is open).
 */
export function lintExpression(
  ast: unknown,
  inputSchema: SchemaObject | null,
  schemaFile = 'the input schema',
): ExpressionLint[] {
  const found: ExpressionLint[] = [];
  const defined = new Set<string>();
  const calls: { name: string; position: number | null }[] = [];

  const positionOf = (node: Node): number | null =>
    typeof node.position === 'number' ? node.position : null;

  const checkPath = (steps: readonly Node[]): void => {
    let start = 0;
    const first = steps[0];
    // `$` (the context) and `$$` (the root) are the record wherever this path is read as a record path.
    if (first?.type === 'variable' && (first.value === '' || first.value === '$')) start = 1;
    const names: { name: string; position: number | null }[] = [];
    for (const step of steps.slice(start)) {
      if (step.type !== 'name' || typeof step.value !== 'string') break;
      names.push({ name: step.value, position: positionOf(step) });
      if (step.stages !== undefined || step.predicate !== undefined) break;
    }
    if (inputSchema && names.length > 0) checkNames(names);
  };

  const checkNames = (names: readonly { name: string; position: number | null }[]): void => {
    let node: SchemaObject | null = inputSchema;
    for (const [index, { name, position }] of names.entries()) {
      if (!node) return;
      // A path step over an array maps over its items.
      if (node.type === 'array' || (Array.isArray(node.type) && !node.properties)) {
        node = asSchema(node.items) ?? node;
      }
      if (['$ref', 'allOf', 'anyOf', 'oneOf', 'patternProperties'].some((k) => k in node!)) return;
      const properties = asSchema(node.properties);
      if (!properties) return;
      if (Object.hasOwn(properties, name)) {
        node = asSchema(properties[name]);
        continue;
      }
      if (isNode(node.additionalProperties)) return;
      const closed = node.additionalProperties === false;
      const at = names.slice(0, index).map((n) => n.name);
      const known = Object.keys(properties);
      const close = didYouMean(name, known);
      const where = at.length === 0 ? 'the record' : `"${at.join('.')}"`;
      found.push({
        severity: closed ? 'error' : 'warning',
        position,
        message:
          `reads "${[...at, name].join('.')}", but ${schemaFile} describes no field "${name}" in ${where}` +
          `${close ? `; did you mean "${[...at, close].join('.')}"?` : ''} (it has ${known.join(', ')})`,
      });
      return;
    }
  };

  const visit = (value: unknown, recordContext: boolean): void => {
    if (Array.isArray(value)) {
      for (const item of value) visit(item, recordContext);
      return;
    }
    if (!isNode(value)) return;
    const node = value;
    if (node.type === 'bind' && isNode(node.lhs) && typeof node.lhs.value === 'string') {
      defined.add(node.lhs.value);
    }
    if (node.type === 'lambda' && Array.isArray(node.arguments)) {
      for (const arg of node.arguments)
        if (isNode(arg) && typeof arg.value === 'string') defined.add(arg.value);
    }
    if ((node.type === 'function' || node.type === 'partial') && isNode(node.procedure)) {
      const procedure = node.procedure;
      if (procedure.type === 'variable' && typeof procedure.value === 'string') {
        calls.push({ name: procedure.value, position: positionOf(procedure) });
      }
    }
    if (node.type === 'path' && Array.isArray(node.steps)) {
      const steps = node.steps.filter(isNode);
      const rooted = steps[0]?.type === 'variable' && steps[0].value === '$';
      if (recordContext || rooted) checkPath(steps);
      // Each step after the first is read against the step before it, not against the record.
      steps.forEach((step, index) => {
        visit(step, index === 0 && step.type !== 'name' ? recordContext : false);
      });
      for (const [key, child] of Object.entries(node)) {
        if (key !== 'steps' && key !== 'type') visit(child, false);
      }
      return;
    }
    for (const [key, child] of Object.entries(node)) {
      if (key === 'procedure' || (key === 'lhs' && node.type === 'bind')) continue;
      visit(child, recordContext && !OTHER_CONTEXT_KEYS.has(key));
    }
  };
  visit(ast, true);

  for (const { name, position } of calls) {
    if (JSONATA_FUNCTION_NAMES.has(name) || defined.has(name)) continue;
    const close = didYouMean(name, [...JSONATA_FUNCTION_NAMES]);
    found.push({
      severity: 'error',
      position,
      message: `calls $${name}(), which is not a JSONata function${close ? `; did you mean $${close}()?` : ''}`,
    });
  }
  return found;
}
