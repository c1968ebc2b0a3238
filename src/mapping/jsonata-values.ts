import { fallback } from './jsonata-fallback.ts';

// Ports of JSONata 2.2.2's value semantics (node_modules/jsonata/jsonata.js, utils and functions), line by
// line where it matters. Wherever JSONata would throw, these fall back instead, so the interpreter raises its
// own error with its own code, message and position.

/** A JSONata sequence flag on an array, or a JSONata function object, as the interpreter marks them. */
interface Marked {
  readonly _jsonata_function?: unknown;
  readonly _jsonata_lambda?: unknown;
}

/** JSONata's isFunction for values reaching compiled code (a native function never does). */
export function isJsonataFunction(value: unknown): boolean {
  if (typeof value === 'function') return true;
  if (typeof value !== 'object' || value === null) return false;
  const marks = value as Marked;
  return marks._jsonata_function === true || marks._jsonata_lambda === true;
}

/** utils.isNumeric: a number that is not NaN; an infinite one is an error (D1001) in JSONata. */
export function isNumeric(value: unknown): value is number {
  if (typeof value !== 'number' || Number.isNaN(value)) return false;
  if (!Number.isFinite(value)) fallback();
  return true;
}

/** utils.isArrayOfNumbers. */
export function isArrayOfNumbers(value: unknown): value is number[] {
  if (!Array.isArray(value)) return false;
  for (const item of value) if (!isNumeric(item)) return false;
  return true;
}

/** fn.boolean: JSONata's effective boolean value; undefined stays undefined. */
export function toBoolean(arg: unknown): boolean | undefined {
  if (arg === undefined) return undefined;
  if (Array.isArray(arg)) {
    if (arg.length === 1) return toBoolean(arg[0]);
    if (arg.length > 1) return arg.filter((item) => toBoolean(item)).length > 0;
    return false;
  }
  if (typeof arg === 'string') return arg.length > 0;
  if (isNumeric(arg)) return arg !== 0;
  if (arg !== null && typeof arg === 'object' && !isJsonataFunction(arg)) return Object.keys(arg).length > 0;
  return arg === true;
}

/** boolize: the operands of `and` / `or`, where undefined counts as false. */
export function boolize(value: unknown): boolean {
  return toBoolean(value) ?? false;
}

/** utils.isDeepEqual, used by `=` and `!=`. */
export function isDeepEqual(lhs: unknown, rhs: unknown): boolean {
  if (lhs === rhs) return true;
  if (typeof lhs !== 'object' || typeof rhs !== 'object' || lhs === null || rhs === null) return false;
  if (Array.isArray(lhs) && Array.isArray(rhs)) {
    if (lhs.length !== rhs.length) return false;
    for (let i = 0; i < lhs.length; i++) if (!isDeepEqual(lhs[i], rhs[i])) return false;
    return true;
  }
  const lkeys = Object.getOwnPropertyNames(lhs).sort();
  const rkeys = Object.getOwnPropertyNames(rhs).sort();
  if (lkeys.length !== rkeys.length) return false;
  for (let i = 0; i < lkeys.length; i++) if (lkeys[i] !== rkeys[i]) return false;
  for (const key of lkeys) {
    if (!isDeepEqual((lhs as Record<string, unknown>)[key], (rhs as Record<string, unknown>)[key]))
      return false;
  }
  return true;
}

/** fn.string: numbers to 15 significant digits unless whole, everything else as compact JSON. */
export function toJsonataString(arg: unknown, prettify = false): string | undefined {
  if (arg === undefined) return undefined;
  if (typeof arg === 'string') return arg;
  if (typeof arg === 'number') {
    if (!Number.isFinite(arg)) fallback(); // D3001
    // JSON.stringify renders a finite number exactly as String() does.
    return String(Number.isInteger(arg) ? arg : Number(arg.toPrecision(15)));
  }
  if (isJsonataFunction(arg)) return '';
  if (typeof arg === 'bigint' || typeof arg === 'symbol') fallback();
  return JSON.stringify(arg, stringifyReplacer, prettify ? 2 : 0);
}

function stringifyReplacer(_key: string, value: unknown): unknown {
  if (value !== undefined && value !== null && isNumeric(value)) {
    return Number.isInteger(value) ? value : Number(value.toPrecision(15));
  }
  return value && isJsonataFunction(value) ? '' : value;
}

/** fn.type. */
export function jsonataType(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (value === null) return 'null';
  if (isNumeric(value)) return 'number';
  if (typeof value === 'string') return 'string';
  if (typeof value === 'boolean') return 'boolean';
  if (Array.isArray(value)) return 'array';
  if (isJsonataFunction(value)) return 'function';
  return 'object';
}

/**
 * The type letter JSONata's signature validator gives an argument. Functions ('f') and values JSON cannot
 * hold fall back: the subset never passes a function as data.
 */
export function signatureSymbol(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return 's';
    case 'number':
      return 'n';
    case 'boolean':
      return 'b';
    case 'undefined':
      return 'm';
    case 'object':
      if (value === null) return 'l';
      if (isJsonataFunction(value)) return fallback();
      return Array.isArray(value) ? 'a' : 'o';
    default:
      return fallback();
  }
}

/** fn.append as the array constructor uses it: flattens one level, refuses to grow past the sequence limit. */
export function appendItems(target: unknown[], value: unknown, maxSequence: number): unknown[] {
  if (!Array.isArray(value)) {
    // One item: pushed as it is, without wrapping it in an array first.
    if (target.length + 1 > maxSequence) fallback(); // D2015
    target.push(value);
    return target;
  }
  if (target.length + value.length > maxSequence) fallback(); // D2015
  for (const item of value) target.push(item);
  return target;
}
