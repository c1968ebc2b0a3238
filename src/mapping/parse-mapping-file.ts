import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument, type YAMLMap } from 'yaml';
import { parseDurationMs } from '../core/duration.ts';
import { FerryError } from '../core/errors.ts';

/** A place in the mapping file, so every error can say where to look. */
export interface SourceLocation {
  readonly line: number;
  /** 1-based column, when known. */
  readonly column?: number;
  /** Dot path inside the mapping file ("output.fields.customerInfo.name"). */
  readonly path: string;
}

/** One leaf of the output tree. */
export interface FieldSpec extends SourceLocation {
  /** Path segments in the destination body. */
  readonly target: readonly string[];
  readonly expr: string;
  readonly doc: string | null;
  /** False when reconciling with the destination ignores the field (a timestamp ferry itself sets). */
  readonly compare: boolean;
}

/** One extra input rule. */
export interface CheckSpec extends SourceLocation {
  readonly expr: string;
  readonly fields: readonly string[];
  readonly code: string;
  readonly message: string;
}

/** A schema reference, relative to the mapping file as written. */
export interface SchemaRef extends SourceLocation {
  readonly file: string;
}

/** The mapping file parsed and structurally checked, expressions not yet compiled. */
export interface MappingSpec {
  readonly file: string;
  readonly description: string | null;
  readonly key: SourceLocation & { readonly expr: string; readonly field: string | null };
  /** A JSONata predicate on the source record: true when the source marks the record deleted. */
  readonly deleted: (SourceLocation & { readonly expr: string }) | null;
  readonly inputSchema: SchemaRef | null;
  readonly checks: readonly CheckSpec[];
  readonly outputSchema: SchemaRef | null;
  readonly fields: readonly FieldSpec[];
  /** Wall-clock budget of one evaluation. */
  readonly timeoutMs: number;
}

/** @default 1000 ms: generous for per-record expressions, short enough that a looping one cannot stall a run. */
export const DEFAULT_TIMEOUT_MS = 1000;

// Keys that would reach Object.prototype if a mapping ever built objects with plain assignment.
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const CODE_PATTERN = /^[a-z][a-z0-9_]*$/;
const SIMPLE_PATH = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/** Builds the FERRY_ERR_MAPPING_INVALID error every problem in a mapping file becomes. */
export function mappingInvalid(
  file: string,
  line: number | null,
  path: string,
  message: string,
  column: number | null = null,
): FerryError {
  const where = line === null ? file : `${file}:${line}`;
  return new FerryError('FERRY_ERR_MAPPING_INVALID', `${where}: ${path ? `${path}: ` : ''}${message}`, {
    details: { file, line, column, field: path, reason: message },
  });
}

/** Parses the text of a mapping file into a checked spec; errors name the file, line and field path. */
export function parseMappingFile(text: string, file: string): MappingSpec {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
  const firstError = doc.errors[0];
  if (firstError) {
    const { line, col } = lineCounter.linePos(firstError.pos[0]);
    throw mappingInvalid(file, line, '', `not valid YAML: ${firstError.message.split('\n')[0]}`, col);
  }
  const lineOf = (node: Node | null | undefined): number | null =>
    node?.range ? lineCounter.linePos(node.range[0]).line : null;
  const columnOf = (node: Node | null | undefined): number | undefined =>
    node?.range ? lineCounter.linePos(node.range[0]).col : undefined;
  const at = (node: Node | null | undefined): { line: number; column?: number } => {
    const column = columnOf(node);
    return { line: lineOf(node) ?? 1, ...(column === undefined ? {} : { column }) };
  };
  const fail = (node: Node | null | undefined, path: string, message: string): never => {
    throw mappingInvalid(file, lineOf(node), path, message, columnOf(node) ?? null);
  };

  const root = doc.contents;
  if (!isMap(root)) return fail(root, '', 'the file must be a YAML mapping with key, input and output');
  const top = entries(root, '', ['description', 'key', 'deleted', 'input', 'output', 'timeout'], fail);

  const description = optionalString(top.get('description'), 'description', fail);

  const keyNode = top.get('key');
  if (!keyNode) return fail(root, 'key', 'is required: a JSONata expression giving the record key');
  let key: MappingSpec['key'];
  if (isMap(keyNode)) {
    const k = entries(keyNode, 'key', ['expr', 'field', 'doc'], fail);
    const expr = requiredString(k.get('expr'), keyNode, 'key.expr', fail);
    const field = optionalString(k.get('field'), 'key.field', fail);
    key = {
      expr,
      field: field ?? (SIMPLE_PATH.test(expr.trim()) ? expr.trim() : null),
      ...at(k.get('expr')),
      path: 'key',
    };
  } else {
    const expr = requiredString(keyNode, root, 'key', fail);
    key = {
      expr,
      field: SIMPLE_PATH.test(expr.trim()) ? expr.trim() : null,
      ...at(keyNode),
      path: 'key',
    };
  }

  const deletedNode = top.get('deleted');
  const deleted =
    deletedNode === undefined
      ? null
      : {
          expr: requiredString(deletedNode, root, 'deleted', fail),
          ...at(deletedNode),
          path: 'deleted',
        };

  let inputSchema: SchemaRef | null = null;
  const checks: CheckSpec[] = [];
  const inputNode = top.get('input');
  if (inputNode !== undefined) {
    if (!isMap(inputNode)) return fail(inputNode, 'input', 'must be a mapping with schema and/or checks');
    const input = entries(inputNode, 'input', ['schema', 'checks'], fail);
    inputSchema = schemaRef(input.get('schema'), 'input.schema', fail, at);
    const checksNode = input.get('checks');
    if (checksNode !== undefined) {
      if (!isSeq(checksNode))
        return fail(checksNode, 'input.checks', 'must be a list of {expr, fields, code, message}');
      for (const [index, item] of checksNode.items.entries()) {
        const path = `input.checks[${index}]`;
        if (!isMap(item))
          return fail(item as Node, path, 'must be a mapping with expr, fields, code and message');
        const c = entries(item, path, ['expr', 'fields', 'code', 'message'], fail);
        const expr = requiredString(c.get('expr'), item, `${path}.expr`, fail);
        const code = requiredString(c.get('code'), item, `${path}.code`, fail);
        if (!CODE_PATTERN.test(code))
          fail(c.get('code'), `${path}.code`, 'must be snake_case like name_required');
        const message = requiredString(c.get('message'), item, `${path}.message`, fail);
        const fieldsNode = c.get('fields');
        if (!isSeq(fieldsNode) || fieldsNode.items.length === 0) {
          return fail(fieldsNode ?? item, `${path}.fields`, 'must be a non-empty list of source field paths');
        }
        const fields = fieldsNode.items.map((f, i) =>
          requiredString(f as Node, fieldsNode, `${path}.fields[${i}]`, fail),
        );
        checks.push({ expr, fields, code, message, ...at(c.get('expr')), path });
      }
    }
  }

  const outputNode = top.get('output');
  if (!isMap(outputNode))
    return fail(outputNode ?? root, 'output', 'is required: a mapping with schema and fields');
  const output = entries(outputNode, 'output', ['schema', 'fields'], fail);
  const outputSchema = schemaRef(output.get('schema'), 'output.schema', fail, at);
  const fieldsNode = output.get('fields');
  if (!isMap(fieldsNode) || fieldsNode.items.length === 0) {
    return fail(fieldsNode ?? outputNode, 'output.fields', 'is required: a tree of destination fields');
  }
  const fields: FieldSpec[] = [];
  collectFields(fieldsNode, [], fields, fail, at);

  const timeoutNode = top.get('timeout');
  let timeoutMs = DEFAULT_TIMEOUT_MS;
  if (timeoutNode !== undefined) {
    const raw = isScalar(timeoutNode) ? timeoutNode.value : undefined;
    try {
      if (typeof raw !== 'string' && typeof raw !== 'number') throw new Error('not a scalar');
      timeoutMs = parseDurationMs(raw, 'timeout');
    } catch {
      return fail(timeoutNode, 'timeout', 'must be a duration like "500ms" or "2s"');
    }
    if (timeoutMs <= 0) return fail(timeoutNode, 'timeout', 'must be more than 0');
  }

  return { file, description, key, deleted, inputSchema, checks, outputSchema, fields, timeoutMs };
}

type Fail = (node: Node | null | undefined, path: string, message: string) => never;

function entries(map: YAMLMap, path: string, allowed: readonly string[], fail: Fail): Map<string, Node> {
  const out = new Map<string, Node>();
  for (const pair of map.items) {
    const keyNode = pair.key as Node;
    const name = isScalar(keyNode) ? keyNode.value : undefined;
    if (typeof name !== 'string') return fail(keyNode, path, 'keys must be plain strings');
    const where = path ? `${path}.${name}` : name;
    if (!allowed.includes(name)) {
      return fail(keyNode, where, `unknown key; expected one of ${allowed.join(', ')}`);
    }
    out.set(name, (pair.value as Node | null) ?? keyNode);
  }
  return out;
}

function stringOf(node: Node | undefined): string | undefined {
  return isScalar(node) && typeof node.value === 'string' ? node.value : undefined;
}

function requiredString(node: Node | undefined, parent: Node, path: string, fail: Fail): string {
  const value = stringOf(node);
  if (value === undefined || value.trim() === '')
    return fail(node ?? parent, path, 'must be a non-empty string');
  return value;
}

function optionalString(node: Node | undefined, path: string, fail: Fail): string | null {
  if (node === undefined || (isScalar(node) && node.value === null)) return null;
  const value = stringOf(node);
  if (value === undefined) return fail(node, path, 'must be a string');
  return value;
}

function schemaRef(
  node: Node | undefined,
  path: string,
  fail: Fail,
  at: (n: Node | null | undefined) => { line: number; column?: number },
): SchemaRef | null {
  if (node === undefined) return null;
  const file = stringOf(node);
  if (file === undefined || file.trim() === '')
    return fail(node, path, 'must be a path to a JSON Schema file');
  return { file, ...at(node), path };
}

function collectFields(
  map: YAMLMap,
  target: readonly string[],
  out: FieldSpec[],
  fail: Fail,
  at: (n: Node | null | undefined) => { line: number; column?: number },
): void {
  for (const pair of map.items) {
    const keyNode = pair.key as Node;
    const name = isScalar(keyNode) ? keyNode.value : undefined;
    const here = ['output', 'fields', ...target].join('.');
    if (typeof name !== 'string' || name === '') fail(keyNode, here, 'field names must be non-empty strings');
    const path = `${here}.${name}`;
    if (FORBIDDEN_KEYS.has(name)) fail(keyNode, path, `"${name}" cannot be a field name`);
    const value = pair.value as Node | null;
    const where = at(value ?? keyNode);
    const leafTarget = [...target, name];
    const literal = isScalar(value) ? value.value : undefined;
    if (typeof literal === 'number' || typeof literal === 'boolean') {
      // `total: 0` or `gift: false` are constants; YAML has already parsed them, JSONata reads them back.
      out.push({
        target: leafTarget,
        expr: JSON.stringify(literal),
        doc: null,
        compare: true,
        ...where,
        path,
      });
    } else if (typeof literal === 'string' && literal.trim() !== '') {
      out.push({ target: leafTarget, expr: literal, doc: null, compare: true, ...where, path });
    } else if (isMap(value) && value.items.some((p) => isScalar(p.key) && p.key.value === 'expr')) {
      // A map with `expr` is a leaf; nested destination objects never have a field named expr.
      const leaf = entries(value, path, ['expr', 'doc', 'compare'], fail);
      const expr = requiredString(leaf.get('expr'), value, `${path}.expr`, fail);
      const doc = optionalString(leaf.get('doc'), `${path}.doc`, fail);
      const compareNode = leaf.get('compare');
      const compare =
        compareNode === undefined ? true : isScalar(compareNode) ? compareNode.value : undefined;
      if (typeof compare !== 'boolean') fail(compareNode, `${path}.compare`, 'must be true or false');
      out.push({
        target: leafTarget,
        expr,
        doc: doc?.trim() ?? null,
        compare,
        ...at(leaf.get('expr')),
        path,
      });
    } else if (isMap(value) && value.items.length > 0) {
      collectFields(value, leafTarget, out, fail, at);
    } else {
      fail(
        value ?? keyNode,
        path,
        'must be a JSONata expression, {expr, doc}, or a mapping of nested fields',
      );
    }
  }
}
