import { fallback } from './jsonata-fallback.ts';
import { jsonataType, toBoolean, toJsonataString } from './jsonata-values.ts';

/**
 * One JSONata built-in the compiled subset implements, with its signature reduced to what the compiler
 * needs: per parameter, the type letters JSONata's validator accepts ('m' = missing/undefined, 'f' = a regex
 * literal written in the expression). A call whose runtime argument types fall outside these falls back, so
 * the interpreter raises its own T0410 (or reinterprets the arguments the way its signature regex does).
 */
export interface JsonataBuiltin {
  readonly params: readonly string[];
  /** Fewest arguments of a direct call; fewer means the context form (or an error) in JSONata. */
  readonly required: number;
  /** `$name()` with no arguments applies the function to the context value (a `-` in its signature). */
  readonly contextWhenEmpty: boolean;
  /** Applied to the arguments in order; a missing one is undefined (no array per call). */
  readonly call: Call;
}

/** A built-in's body: up to four arguments, as many as any built-in of the subset takes. */
type Call = (a: unknown, b: unknown, c: unknown, d: unknown) => unknown;

const ANY = 'asnblom';

/** The built-ins the compiler knows, ported from JSONata 2.2.2's functions of the same name. */
export const JSONATA_BUILTINS: ReadonlyMap<string, JsonataBuiltin> = new Map<string, JsonataBuiltin>([
  // <x-b?:s>
  ['string', fn([ANY, 'bm'], 1, true, (arg, prettify) => toJsonataString(arg, prettify === true))],
  // <s-nn?:s>
  ['substring', fn(['sm', 'nm', 'nm'], 2, false, (str, start, length) => substring(str, start, length))],
  // <s-:s>
  [
    'lowercase',
    fn(['sm'], 1, true, (str) => (str === undefined ? undefined : (str as string).toLowerCase())),
  ],
  [
    'uppercase',
    fn(['sm'], 1, true, (str) => (str === undefined ? undefined : (str as string).toUpperCase())),
  ],
  ['trim', fn(['sm'], 1, true, (str) => (str === undefined ? undefined : trim(str as string)))],
  // <s-:n>; JSONata counts code points, not UTF-16 units.
  [
    'length',
    fn(['sm'], 1, true, (str) => (str === undefined ? undefined : Array.from(str as string).length)),
  ],
  // <s-(sf):b>
  ['contains', fn(['sm', 'sfm'], 2, false, (str, token) => contains(str, token))],
  // <s-(sf)(sf)n?:s>
  ['replace', fn(['sm', 'sfm', 'sfm', 'nm'], 3, false, (s, p, r, limit) => replace(s, p, r, limit))],
  // <a<s>s?:s>
  ['join', fn([ANY, 'sm'], 1, false, (strs, separator) => join(strs, separator))],
  // <(nsb)-:n>
  ['number', fn(['nsbm'], 1, true, (arg) => toNumber(arg))],
  // <x-:b>
  ['boolean', fn([ANY], 1, true, (arg) => toBoolean(arg))],
  ['not', fn([ANY], 1, true, (arg) => (arg === undefined ? undefined : !toBoolean(arg)))],
  // <x:b> and <x:s>
  ['exists', fn([ANY], 1, false, (arg) => arg !== undefined)],
  ['type', fn([ANY], 1, false, (arg) => jsonataType(arg))],
]);

/**
 * Every name JSONata binds to a function before an expression runs. A variable with one of these names is a
 * function value (outside the subset), and a binding that shadows one makes the compiled call wrong.
 */
export const JSONATA_FUNCTION_NAMES: ReadonlySet<string> = new Set(
  `sum count max min average string substring substringBefore substringAfter lowercase uppercase length trim
  pad match contains replace split join formatNumber formatBase formatInteger parseInteger number floor ceil
  round abs sqrt power random boolean not map zip filter single reduce sift keys lookup append exists spread
  merge reverse each error assert type sort shuffle distinct base64encode base64decode encodeUrlComponent
  encodeUrl decodeUrlComponent decodeUrl eval toMillis fromMillis clone now millis`.split(/\s+/),
);

function fn(
  params: readonly string[],
  required: number,
  contextWhenEmpty: boolean,
  call: Call,
): JsonataBuiltin {
  return { params, required, contextWhenEmpty, call };
}

/** fn.trim: collapses runs of space, tab, CR and LF (only those) into one space, then strips one at each end. */
function trim(str: string): string {
  let result = str.replace(/[ \t\n\r]+/gm, ' ');
  if (result.charAt(0) === ' ') result = result.substring(1);
  if (result.charAt(result.length - 1) === ' ') result = result.substring(0, result.length - 1);
  return result;
}

/** fn.substring, over code points. */
function substring(str: unknown, start: unknown, length: unknown): string | undefined {
  if (str === undefined) return undefined;
  // JSONata would go on with NaN arithmetic; not worth porting.
  if (start === undefined) fallback();
  const chars = Array.from(str as string);
  let from = start as number;
  if (chars.length + from < 0) from = 0;
  if (length !== undefined) {
    const count = length as number;
    if (count <= 0) return '';
    const end = from >= 0 ? from + count : chars.length + from + count;
    return chars.slice(from, end).join('');
  }
  return chars.slice(from).join('');
}

/** fn.contains with a string token or a regex literal. */
function contains(str: unknown, token: unknown): boolean | undefined {
  if (str === undefined || token === undefined) return undefined;
  if (typeof token === 'string') return (str as string).indexOf(token) !== -1;
  const re = token as RegExp;
  re.lastIndex = 0;
  return re.exec(str as string) !== null;
}

/** fn.join: an array of strings (or one string); anything else is JSONata's T0412. */
function join(strs: unknown, separator: unknown): string | undefined {
  if (strs === undefined) return undefined;
  const sep = separator === undefined ? '' : (separator as string);
  if (typeof strs === 'string') return strs;
  if (!Array.isArray(strs)) return fallback();
  for (const item of strs) if (typeof item !== 'string') fallback();
  return strs.join(sep);
}

/** fn.number, including its regexes exactly (the hex/octal/binary one is unanchored in the middle, as in JSONata). */
function toNumber(arg: unknown): number | undefined {
  if (arg === undefined) return undefined;
  if (typeof arg === 'number') return arg;
  if (typeof arg === 'string') {
    if (
      /^-?[0-9]+(\.[0-9]+)?([Ee][-+]?[0-9]+)?$/.test(arg) &&
      !Number.isNaN(Number.parseFloat(arg)) &&
      Number.isFinite(Number(arg))
    ) {
      return Number.parseFloat(arg);
    }
    if (/^(0[xX][0-9A-Fa-f]+)|(0[oO][0-7]+)|(0[bB][0-1]+)$/.test(arg)) return Number(arg);
  }
  if (arg === true) return 1;
  if (arg === false) return 0;
  return fallback(); // D3030
}

/** fn.replace with a string or regex-literal pattern and a string replacement. */
function replace(str: unknown, pattern: unknown, replacement: unknown, limit: unknown): string | undefined {
  if (str === undefined) return undefined;
  if (pattern === '' || pattern === undefined) fallback(); // D3010, or a TypeError in JSONata
  if (typeof limit === 'number' && limit < 0) fallback(); // D3011
  // A missing or function replacement does odd things in JSONata ("undefined" text, or a D3012).
  if (typeof replacement !== 'string') fallback();
  const text = str as string;
  const max = limit as number | undefined;
  if (max !== undefined && !(max > 0)) return text;
  let result = '';
  let position = 0;
  let count = 0;
  if (typeof pattern === 'string') {
    let index = text.indexOf(pattern, position);
    while (index !== -1 && (max === undefined || count < max)) {
      result += text.substring(position, index);
      result += replacement;
      position = index + pattern.length;
      count++;
      index = text.indexOf(pattern, position);
    }
    return result + text.substring(position);
  }
  const re = pattern as RegExp;
  re.lastIndex = 0;
  let match = re.exec(text);
  if (match === null) return text;
  while (match !== null && (max === undefined || count < max)) {
    result += text.substring(position, match.index);
    result += substitute(replacement, match);
    position = match.index + match[0].length;
    count++;
    // JSONata's matcher: stop at the end of the string, and a later empty match is error D1004.
    if (re.lastIndex >= text.length) {
      match = null;
    } else {
      match = re.exec(text);
      if (match !== null && match[0] === '') fallback();
    }
  }
  return result + text.substring(position);
}

/** The replacement text for one match: $$, $0 and $n as JSONata reads them (greedy digits, bounded by the groups). */
function substitute(replacement: string, match: RegExpExecArray): string {
  const groups = match.length - 1;
  let out = '';
  let position = 0;
  let index = replacement.indexOf('$', position);
  while (index !== -1 && position < replacement.length) {
    out += replacement.substring(position, index);
    position = index + 1;
    const dollarVal = replacement.charAt(position);
    if (dollarVal === '$') {
      out += '$';
      position++;
    } else if (dollarVal === '0') {
      out += match[0];
      position++;
    } else {
      const maxDigits = groups === 0 ? 1 : Math.floor(Math.log(groups) * Math.LOG10E) + 1;
      index = Number.parseInt(replacement.substring(position, position + maxDigits), 10);
      if (maxDigits > 1 && index > groups) {
        index = Number.parseInt(replacement.substring(position, position + maxDigits - 1), 10);
      }
      if (!Number.isNaN(index)) {
        if (groups > 0) {
          const submatch = match[index];
          // match[0] is the whole match, not a group: JSONata reads groups[index - 1], undefined for $0-like.
          if (index >= 1 && submatch !== undefined) out += submatch;
        }
        position += index.toString().length;
      } else {
        out += '$';
      }
    }
    index = replacement.indexOf('$', position);
  }
  return out + replacement.substring(position);
}
