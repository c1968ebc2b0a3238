import jsonata from 'jsonata';
import { fallback } from './jsonata-fallback.ts';
import { JSONATA_BUILTINS, JSONATA_FUNCTION_NAMES } from './jsonata-functions.ts';
import {
  appendItems,
  boolize,
  isArrayOfNumbers,
  isDeepEqual,
  isJsonataFunction,
  isNumeric,
  signatureSymbol,
  toBoolean,
  toJsonataString,
} from './jsonata-values.ts';

// A compiler from the JSONata AST to plain JavaScript closures, for a small subset of JSONata. No library
// does this (JSONata ships only its interpreter, and the alternative implementations are interpreters too),
// so it is hand-written, kept small, and checked against the interpreter by differential tests
// (compile-jsonata.test.ts).
//
// The subset: string/number/boolean/null literals; paths of names over objects (`a.b.c`, `$.a`, `$$.a`,
// `$var.a`); the context `$`, the root `$$`, bindings (`$firstMappedAt`) and block variables (`$p := ...` as a
// statement of a `( ...; ... )` block); `&`, `= != < <= > >=`, `+ - * / %`, unary `-`, `and`, `or`,
// `? :`; array constructors; object constructors with literal keys; filter predicates `[...]` on anything
// but a path step; and the built-ins in jsonata-functions.ts.
//
// Two ways out, so the interpreter stays the reference:
// - compile time: any node, property or function outside the subset makes compileJsonata return null;
// - run time: anything the compiled code does not mirror exactly (an array in the middle of a path, an
//   argument type JSONata's signature would refuse, any JSONata error) throws JsonataFallback, and the caller
//   runs the interpreter on the same input. Compiled code is pure, so that is always safe.
//
// The subset has no lambdas, no recursion and no loops except over the values in hand (a filter walks one
// array, $join one array, $replace one string), so a compiled expression cannot run away: its cost is
// bounded by the size of its input, and arrays it builds are held to the same sequence limit as JSONata's.

/** A compiled expression: returns JSONata's result, or throws JsonataFallback (or any error) to mean "interpret". */
export type CompiledJsonata = (input: unknown, bindings: Readonly<Record<string, unknown>>) => unknown;

/** Limits mirrored from the interpreter's options. */
export interface CompileJsonataOptions {
  /**
   * Longest array an evaluation may build, as JSONata's `sequence` option; longer falls back.
   * @default 100000
   */
  readonly maxSequence?: number;
  /**
   * JSONata's `stack` option; expressions nested too deeply to be sure of staying under it are not compiled.
   * @default 400
   */
  readonly maxDepth?: number;
}

/** Compiles a JSONata expression into a closure, or returns null when any part of it is outside the subset. */
export function compileJsonata(expr: string, options: CompileJsonataOptions = {}): CompiledJsonata | null {
  let ast: unknown;
  try {
    ast = jsonata(expr).ast();
  } catch {
    return null;
  }
  return compileJsonataAst(ast, options);
}

/** Like compileJsonata, from an AST the caller already parsed (`jsonata(expr).ast()`, not modified). */
export function compileJsonataAst(ast: unknown, options: CompileJsonataOptions = {}): CompiledJsonata | null {
  const state: CompilerState = {
    slots: 0,
    builtinsUsed: new Set(),
    maxSequence: options.maxSequence ?? 100_000,
    // Each AST level costs the interpreter at most a few frames of its depth count (a node, its path step
    // or predicate); a quarter of the budget keeps the compiled and interpreted outcomes the same.
    maxAstDepth: Math.floor((options.maxDepth ?? 400) / 4),
  };
  let run: Run;
  try {
    run = compileNode(asNode(ast), [], 0, state);
  } catch (error) {
    if (error instanceof OutsideSubset) return null;
    throw error;
  }
  const builtinsUsed = [...state.builtinsUsed];
  const slotCount = state.slots;
  return (input, bindings) => {
    // JSONata wraps an array input in an outer sequence, which changes what paths and `$` see.
    if (Array.isArray(input)) fallback();
    for (const name of builtinsUsed) if (isBound(bindings, name)) fallback();
    return run(input, { root: input, bindings, slots: slotCount === 0 ? NO_SLOTS : new Array(slotCount) });
  };
}

/** One evaluation's state: the root input, the caller's bindings, and the block variables' values. */
interface Env {
  readonly root: unknown;
  readonly bindings: Readonly<Record<string, unknown>>;
  readonly slots: unknown[];
}

type Run = (context: unknown, env: Env) => unknown;

interface CompilerState {
  /** Block variables so far; each `$name := ...` statement owns one slot. */
  slots: number;
  readonly builtinsUsed: Set<string>;
  readonly maxSequence: number;
  readonly maxAstDepth: number;
}

/** Variables visible at a point of the expression: one map per enclosing block, innermost last. */
type Frames = readonly ReadonlyMap<string, number>[];

/** A parsed JSONata node, read defensively: the AST is not a typed API. */
interface Node {
  readonly [key: string]: unknown;
}

const NO_SLOTS: unknown[] = [];

class OutsideSubset extends Error {}

function outside(): never {
  throw new OutsideSubset();
}

function asNode(value: unknown): Node {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) outside();
  return value as Node;
}

function child(node: Node, key: string): Node {
  return asNode(node[key]);
}

function children(node: Node, key: string): Node[] {
  const list = node[key];
  if (!Array.isArray(list)) outside();
  return list.map(asNode);
}

function text(node: Node, key: string): string {
  const value = node[key];
  if (typeof value !== 'string') outside();
  return value;
}

/** Refuses a node carrying any property the compiler does not handle (a stage, a group, keepArray, ...). */
function onlyKeys(node: Node, allowed: readonly string[]): void {
  for (const key of Object.keys(node)) {
    // The parser leaves some keys present but undefined (a function node's `name`).
    if (node[key] === undefined || key === 'type' || key === 'position') continue;
    if (!allowed.includes(key)) outside();
  }
}

/** How JSONata reads `bindings`: its own enumerable keys (utils.keys). */
function isBound(bindings: Readonly<Record<string, unknown>>, name: string): boolean {
  return Object.prototype.propertyIsEnumerable.call(bindings, name);
}

function compileNode(node: Node, frames: Frames, depth: number, state: CompilerState): Run {
  if (depth > state.maxAstDepth) outside();
  const run = compileBare(node, frames, depth, state);
  if (node.predicate === undefined) return run;
  return withPredicates(run, children(node, 'predicate'), frames, depth, state);
}

function compileBare(node: Node, frames: Frames, depth: number, state: CompilerState): Run {
  const sub = (n: Node, f: Frames = frames): Run => compileNode(n, f, depth + 1, state);
  switch (node.type) {
    case 'string':
    case 'number':
    case 'value': {
      onlyKeys(node, ['value', 'predicate']);
      const value = node.value;
      if (!(value === null || ['string', 'number', 'boolean'].includes(typeof value))) outside();
      return () => value;
    }
    case 'variable':
      onlyKeys(node, ['value', 'predicate']);
      return compileVariable(text(node, 'value'), frames);
    case 'path':
      onlyKeys(node, ['steps']);
      return compilePath(node, frames);
    case 'binary':
      onlyKeys(node, ['value', 'lhs', 'rhs', 'predicate']);
      return compileBinary(text(node, 'value'), sub(child(node, 'lhs')), sub(child(node, 'rhs')));
    case 'unary':
      return compileUnary(node, sub, state);
    case 'condition': {
      onlyKeys(node, ['condition', 'then', 'else', 'predicate']);
      const condition = sub(child(node, 'condition'));
      const then = sub(child(node, 'then'));
      const otherwise = node.else === undefined ? undefined : sub(child(node, 'else'));
      return (ctx, env) =>
        toBoolean(condition(ctx, env))
          ? then(ctx, env)
          : otherwise === undefined
            ? undefined
            : otherwise(ctx, env);
    }
    case 'block':
      onlyKeys(node, ['expressions', 'predicate']);
      return compileBlock(children(node, 'expressions'), frames, depth, state);
    case 'function':
      onlyKeys(node, ['value', 'arguments', 'procedure', 'predicate']);
      return compileCall(node, frames, sub, state);
    default:
      // bind outside a block statement, regex outside a pattern argument, lambdas, sorts, transforms, ...
      return outside();
  }
}

function compileVariable(name: string, frames: Frames): Run {
  if (name === '') return (ctx) => ctx;
  if (name === '$') return (_ctx, env) => env.root;
  for (let i = frames.length - 1; i >= 0; i--) {
    const slot = frames[i]?.get(name);
    if (slot !== undefined) return (_ctx, env) => env.slots[slot];
  }
  // A built-in's name is a function value here; the subset has none.
  if (JSONATA_FUNCTION_NAMES.has(name)) outside();
  return (_ctx, env) => {
    if (!isBound(env.bindings, name)) return undefined;
    const value = env.bindings[name];
    // A bound JSONata sequence would be unwrapped by the interpreter; plain values are what callers pass.
    if (Array.isArray(value) && (value as { sequence?: unknown }).sequence === true) fallback();
    return value;
  };
}

/**
 * Names over objects only: a missing step gives undefined, and an array met before the last step (where
 * JSONata would map over it and flatten) falls back. An array at the end is returned as it is, as JSONata does.
 */
function compilePath(node: Node, frames: Frames): Run {
  const steps = children(node, 'steps');
  const first = steps[0];
  if (first === undefined) return outside();
  let start: Run | null = null;
  if (first.type === 'variable') {
    onlyKeys(first, ['value']);
    start = compileVariable(text(first, 'value'), frames);
  }
  const names = (start === null ? steps : steps.slice(1)).map((step) => {
    if (step.type !== 'name') outside();
    onlyKeys(step, ['value']);
    return text(step, 'value');
  });
  return (ctx, env) => {
    let value = start === null ? ctx : start(ctx, env);
    for (const name of names) {
      if (value === undefined) return undefined;
      if (Array.isArray(value)) fallback();
      if (typeof value !== 'object' || value === null || isJsonataFunction(value)) return undefined;
      if (!Object.hasOwn(value, name)) return undefined;
      value = (value as Record<string, unknown>)[name];
    }
    return value;
  };
}

function compileBinary(op: string, lhs: Run, rhs: Run): Run {
  switch (op) {
    case 'and':
      return (ctx, env) => boolize(lhs(ctx, env)) && boolize(rhs(ctx, env));
    case 'or':
      return (ctx, env) => boolize(lhs(ctx, env)) || boolize(rhs(ctx, env));
    case '=':
    case '!=': {
      const equal = op === '=';
      return (ctx, env) => {
        const l = lhs(ctx, env);
        const r = rhs(ctx, env);
        if (l === undefined || r === undefined) return false;
        return isDeepEqual(l, r) === equal;
      };
    }
    case '<':
    case '<=':
    case '>':
    case '>=':
      return (ctx, env) => compare(op, lhs(ctx, env), rhs(ctx, env));
    case '&':
      return (ctx, env) => {
        const l = lhs(ctx, env);
        const r = rhs(ctx, env);
        // fn.string of a defined value is always a string.
        return (
          (l === undefined ? '' : (toJsonataString(l) as string)) +
          (r === undefined ? '' : (toJsonataString(r) as string))
        );
      };
    case '+':
    case '-':
    case '*':
    case '/':
    case '%':
      return (ctx, env) => arithmetic(op, lhs(ctx, env), rhs(ctx, env));
    default:
      // `..` ranges and `in` are left to the interpreter.
      return outside();
  }
}

/** evaluateComparisonExpression: strings with strings, numbers with numbers, undefined if either is missing. */
function compare(op: string, l: unknown, r: unknown): boolean | undefined {
  const lt = typeof l;
  const rt = typeof r;
  const comparable = (t: string) => t === 'undefined' || t === 'string' || t === 'number';
  if (!comparable(lt) || !comparable(rt)) fallback(); // T2010
  if (l === undefined || r === undefined) return undefined;
  if (lt !== rt) fallback(); // T2009
  const a = l as string | number;
  const b = r as string | number;
  if (op === '<') return a < b;
  if (op === '<=') return a <= b;
  if (op === '>') return a > b;
  return a >= b;
}

/** evaluateNumericExpression: numbers only, undefined if either side is missing. */
function arithmetic(op: string, l: unknown, r: unknown): number | undefined {
  if (l !== undefined && !isNumeric(l)) fallback(); // T2001
  if (r !== undefined && !isNumeric(r)) fallback(); // T2002
  if (l === undefined || r === undefined) return undefined;
  const a = l as number;
  const b = r as number;
  if (op === '+') return a + b;
  if (op === '-') return a - b;
  if (op === '*') return a * b;
  if (op === '/') return a / b;
  return a % b;
}

function compileUnary(node: Node, sub: (n: Node) => Run, state: CompilerState): Run {
  switch (node.value) {
    case '-': {
      onlyKeys(node, ['value', 'expression', 'predicate']);
      const operand = sub(child(node, 'expression'));
      return (ctx, env) => {
        const value = operand(ctx, env);
        if (value === undefined) return undefined;
        if (!isNumeric(value)) fallback(); // D1002
        return -value;
      };
    }
    case '[': {
      // `consarray` marks a constructor used as a path step; not in the subset.
      onlyKeys(node, ['value', 'expressions', 'predicate']);
      const items = children(node, 'expressions').map((item) => ({
        run: sub(item),
        // JSONata keeps a nested constructor as one item and flattens every other array value one level.
        nested: item.value === '[',
      }));
      const { maxSequence } = state;
      return (ctx, env) => {
        let result: unknown[] = [];
        for (const item of items) {
          const value = item.run(ctx, env);
          if (value === undefined) continue;
          if (item.nested) {
            if (result.length + 1 > maxSequence) fallback();
            result.push(value);
          } else {
            result = appendItems(result, value, maxSequence);
          }
        }
        return result;
      };
    }
    case '{': {
      onlyKeys(node, ['value', 'lhs', 'predicate']);
      const pairs = node.lhs;
      if (!Array.isArray(pairs)) return outside();
      const seen = new Set<string>();
      const fields = pairs.map((pair: unknown) => {
        if (!Array.isArray(pair) || pair.length !== 2) outside();
        const keyNode = asNode(pair[0]);
        if (keyNode.type !== 'string') outside();
        onlyKeys(keyNode, ['value']);
        const key = text(keyNode, 'value');
        // Duplicates are JSONata's D1009, its own flags D1013; `__proto__` would be a prototype on `{}`.
        if (
          seen.has(key) ||
          key === '_jsonata_lambda' ||
          key === '_jsonata_function' ||
          key === '__proto__'
        ) {
          outside();
        }
        seen.add(key);
        return { key, run: sub(asNode(pair[1])) };
      });
      return (ctx, env) => {
        // Over an array context JSONata groups the items by key; not in the subset.
        if (Array.isArray(ctx)) fallback();
        const result: Record<string, unknown> = {};
        for (const field of fields) {
          const value = field.run(ctx, env);
          if (value !== undefined) result[field.key] = value;
        }
        return result;
      };
    }
    default:
      return outside();
  }
}

/** A block: statements in order in a new scope; `$name := expr` statements bind a variable for the ones after. */
function compileBlock(statements: Node[], frames: Frames, depth: number, state: CompilerState): Run {
  const frame = new Map<string, number>();
  const inner: Frames = [...frames, frame];
  const runs: Run[] = [];
  for (const statement of statements) {
    if (statement.type !== 'bind') {
      runs.push(compileNode(statement, inner, depth + 1, state));
      continue;
    }
    onlyKeys(statement, ['value', 'lhs', 'rhs']);
    const target = child(statement, 'lhs');
    if (target.type !== 'variable') outside();
    onlyKeys(target, ['value']);
    const name = text(target, 'value');
    if (name === '' || name === '$' || JSONATA_FUNCTION_NAMES.has(name)) outside();
    // The value is computed before the name is bound: `$a := $a & "x"` reads the outer $a.
    const value = compileNode(child(statement, 'rhs'), inner, depth + 1, state);
    const slot = state.slots++;
    frame.set(name, slot);
    runs.push((ctx, env) => {
      const result = value(ctx, env);
      env.slots[slot] = result;
      return result;
    });
  }
  if (runs.length === 1) return runs[0]!;
  return (ctx, env) => {
    let result: unknown;
    for (const run of runs) result = run(ctx, env);
    return result;
  };
}

function compileCall(node: Node, frames: Frames, sub: (n: Node) => Run, state: CompilerState): Run {
  const procedure = child(node, 'procedure');
  if (procedure.type !== 'variable') outside();
  onlyKeys(procedure, ['value']);
  const name = text(procedure, 'value');
  const builtin = JSONATA_BUILTINS.get(name);
  if (builtin === undefined || frames.some((frame) => frame.has(name))) return outside();
  state.builtinsUsed.add(name);
  const args = children(node, 'arguments');
  const { params, call } = builtin;
  if (args.length > params.length) outside();

  if (args.length === 0) {
    if (!builtin.contextWhenEmpty) outside();
    const allowed = params[0]!;
    return (ctx) => {
      if (!allowed.includes(signatureSymbol(ctx))) fallback(); // T0411
      return call(ctx, undefined, undefined, undefined);
    };
  }
  // With fewer arguments JSONata's signature regex may shift them onto later parameters, using the context
  // for the first; leave that to the interpreter.
  if (args.length < builtin.required) outside();

  const compiled = args.map((arg, i) => {
    const allowed = params[i]!;
    if (arg.type === 'regex') {
      // A regex literal is a function value in JSONata; the subset only passes it as a pattern.
      onlyKeys(arg, ['value']);
      if (!allowed.includes('f') || !(arg.value instanceof RegExp)) outside();
      const re = new RegExp(arg.value);
      return { run: (() => re) as Run, allowed: null };
    }
    return { run: sub(arg), allowed };
  });
  // Built-ins take at most four arguments, passed as such rather than in an array per call.
  if (compiled.length > 4) outside();
  const [first, second, third, fourth] = compiled;
  return (ctx, env) =>
    call(
      argument(first, ctx, env),
      argument(second, ctx, env),
      argument(third, ctx, env),
      argument(fourth, ctx, env),
    );
}

/** One argument of a built-in call, checked against its signature; undefined when not given. */
function argument(
  arg: { readonly run: Run; readonly allowed: string | null } | undefined,
  ctx: unknown,
  env: Env,
): unknown {
  if (arg === undefined) return undefined;
  const value = arg.run(ctx, env);
  if (arg.allowed !== null && !arg.allowed.includes(signatureSymbol(value))) fallback(); // T0410
  return value;
}

interface Stage {
  /** A literal number predicate selects by index; anything else filters. */
  readonly index: number | null;
  readonly run: Run | null;
}

/**
 * evaluateFilter, for each predicate in turn, then evaluate()'s sequence rule: an empty result is undefined
 * and a single item stands for itself.
 */
function withPredicates(
  base: Run,
  predicates: Node[],
  frames: Frames,
  depth: number,
  state: CompilerState,
): Run {
  const stages: Stage[] = predicates.map((predicate) => {
    if (predicate.type !== 'filter') outside();
    onlyKeys(predicate, ['expr']);
    const expr = child(predicate, 'expr');
    if (expr.type === 'number') {
      onlyKeys(expr, ['value']);
      if (typeof expr.value !== 'number') outside();
      return { index: expr.value, run: null };
    }
    return { index: null, run: compileNode(expr, frames, depth + 1, state) };
  });
  const { maxSequence } = state;
  return (ctx, env) => {
    let value = base(ctx, env);
    let isSequence = false;
    for (const stage of stages) {
      const input: unknown[] = Array.isArray(value) ? value : [value];
      if (input.length > maxSequence) fallback();
      if (stage.run === null) {
        let index = Math.floor(stage.index!);
        if (index < 0) index = input.length + index;
        const item = input[index];
        // An array item is returned as it is, not as a sequence, so it is never unwrapped.
        isSequence = !Array.isArray(item);
        value = item === undefined ? [] : Array.isArray(item) ? item : [item];
        continue;
      }
      const results: unknown[] = [];
      for (let index = 0; index < input.length; index++) {
        const item = input[index];
        let res = stage.run(item, env);
        if (isNumeric(res)) res = [res];
        if (isArrayOfNumbers(res)) {
          for (const position of res) {
            let at = Math.floor(position);
            if (at < 0) at = input.length + at;
            if (at === index) {
              if (results.length >= maxSequence) fallback();
              results.push(item);
            }
          }
        } else if (toBoolean(res)) {
          results.push(item);
        }
      }
      value = results;
      isSequence = true;
    }
    if (isSequence) {
      const items = value as unknown[];
      if (items.length === 0) return undefined;
      if (items.length === 1) return items[0];
    }
    return value;
  };
}
