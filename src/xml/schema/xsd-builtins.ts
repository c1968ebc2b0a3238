/**
 * The XSD 1.0 built-in simple types ferry checks: lexical forms, integer ranges, and how values of each
 * compare. Hand-written because no maintained JavaScript library validates values (rather than documents)
 * against XSD types; the rules are the XSD 1.0 Part 2 lexical spaces.
 */

/** How a built-in's values are read and compared. */
export type Primitive =
  | 'string'
  | 'boolean'
  | 'decimal'
  | 'float'
  | 'dateTime'
  | 'date'
  | 'time'
  | 'duration'
  | 'gregorian'
  | 'hexBinary'
  | 'base64Binary'
  | 'anyURI'
  | 'QName'
  | 'any';

interface Builtin {
  readonly primitive: Primitive;
  /** Whitespace handling before checks: preserve (string), replace, collapse (all others). */
  readonly whiteSpace: 'preserve' | 'replace' | 'collapse';
  /** Extra lexical constraint of a derived type (token, NCName, language...). */
  readonly lexical?: RegExp;
  /** Value range of an integer type, inclusive. */
  readonly range?: readonly [bigint | undefined, bigint | undefined];
  readonly integer?: boolean;
}

const NAME_START =
  'A-Za-z_\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u02FF\\u0370-\\u037D\\u037F-\\u1FFF\\u200C-\\u200D\\u2070-\\u218F\\u2C00-\\u2FEF\\u3001-\\uD7FF\\uF900-\\uFDCF\\uFDF0-\\uFFFD';
const NAME_CHAR = `${NAME_START}\\-.0-9\\u00B7\\u0300-\\u036F\\u203F-\\u2040`;
const NCNAME = new RegExp(`^[${NAME_START}][${NAME_CHAR}]*$`);
const NAME = new RegExp(`^[:${NAME_START}][:${NAME_CHAR}]*$`);
const NMTOKEN = new RegExp(`^[:${NAME_CHAR}]+$`);

const int = (min?: bigint, max?: bigint): Builtin => ({
  primitive: 'decimal',
  whiteSpace: 'collapse',
  integer: true,
  range: [min, max],
});
const str = (whiteSpace: Builtin['whiteSpace'], lexical?: RegExp): Builtin => ({
  primitive: 'string',
  whiteSpace,
  ...(lexical ? { lexical } : {}),
});
const of = (primitive: Primitive): Builtin => ({ primitive, whiteSpace: 'collapse' });

const BUILTINS: Readonly<Record<string, Builtin>> = {
  anyType: { primitive: 'any', whiteSpace: 'preserve' },
  anySimpleType: { primitive: 'any', whiteSpace: 'preserve' },
  string: str('preserve'),
  normalizedString: str('replace'),
  token: str('collapse'),
  language: str('collapse', /^[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*$/),
  Name: str('collapse', NAME),
  NCName: str('collapse', NCNAME),
  ID: str('collapse', NCNAME),
  IDREF: str('collapse', NCNAME),
  ENTITY: str('collapse', NCNAME),
  NMTOKEN: str('collapse', NMTOKEN),
  anyURI: of('anyURI'),
  QName: of('QName'),
  NOTATION: of('QName'),
  boolean: of('boolean'),
  decimal: of('decimal'),
  integer: int(),
  nonPositiveInteger: int(undefined, 0n),
  negativeInteger: int(undefined, -1n),
  nonNegativeInteger: int(0n),
  positiveInteger: int(1n),
  long: int(-(2n ** 63n), 2n ** 63n - 1n),
  int: int(-(2n ** 31n), 2n ** 31n - 1n),
  short: int(-32768n, 32767n),
  byte: int(-128n, 127n),
  unsignedLong: int(0n, 2n ** 64n - 1n),
  unsignedInt: int(0n, 2n ** 32n - 1n),
  unsignedShort: int(0n, 65535n),
  unsignedByte: int(0n, 255n),
  float: of('float'),
  double: of('float'),
  dateTime: of('dateTime'),
  date: of('date'),
  time: of('time'),
  duration: of('duration'),
  gYear: of('gregorian'),
  gYearMonth: of('gregorian'),
  gMonth: of('gregorian'),
  gDay: of('gregorian'),
  gMonthDay: of('gregorian'),
  hexBinary: of('hexBinary'),
  base64Binary: of('base64Binary'),
};

// The list built-ins are lists of these.
const LIST_BUILTINS: Readonly<Record<string, string>> = {
  NMTOKENS: 'NMTOKEN',
  IDREFS: 'IDREF',
  ENTITIES: 'ENTITY',
};

/** Whether `name` is an XSD built-in type ferry knows (in the XSD namespace). */
export function isBuiltin(name: string): boolean {
  return Object.hasOwn(BUILTINS, name) || Object.hasOwn(LIST_BUILTINS, name);
}

/** The item type of a built-in list type (NMTOKENS -> NMTOKEN), if it is one. */
export function builtinListItem(name: string): string | undefined {
  return LIST_BUILTINS[name];
}

/** How values of a built-in are read; unknown names read as strings. */
export function primitiveOf(builtin: string): Primitive {
  return BUILTINS[builtin]?.primitive ?? 'string';
}

/** Whether a built-in is an integer type. */
export function isIntegerType(builtin: string): boolean {
  return BUILTINS[builtin]?.integer === true;
}

/** Applies the built-in's whitespace rule, as a parser does before checking a value. */
export function normalizeWhitespace(builtin: string, value: string): string {
  const rule = BUILTINS[builtin]?.whiteSpace ?? 'preserve';
  if (rule === 'preserve') return value;
  const replaced = value.replace(/[\t\n\r]/g, ' ');
  return rule === 'replace' ? replaced : replaced.replace(/ +/g, ' ').trim();
}

const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;
const INTEGER = /^[+-]?\d+$/;
const FLOAT = /^([+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?|[+-]?INF|NaN)$/;
const TZ = '(Z|[+-](\\d{2}):(\\d{2}))?';
const DATE_TIME = new RegExp(`^(-?\\d{4,})-(\\d{2})-(\\d{2})T(\\d{2}):(\\d{2}):(\\d{2})(\\.\\d+)?${TZ}$`);
const DATE = new RegExp(`^(-?\\d{4,})-(\\d{2})-(\\d{2})${TZ}$`);
const TIME = new RegExp(`^(\\d{2}):(\\d{2}):(\\d{2})(\\.\\d+)?${TZ}$`);
const DURATION = /^-?P(?=\d|T\d)(\d+Y)?(\d+M)?(\d+D)?(T(?=\d)(\d+H)?(\d+M)?(\d+(\.\d+)?S)?)?$/;
const GREGORIAN: Readonly<Record<string, RegExp>> = {
  gYear: new RegExp(`^-?\\d{4,}${TZ}$`),
  gYearMonth: new RegExp(`^-?\\d{4,}-(0[1-9]|1[0-2])${TZ}$`),
  gMonth: new RegExp(`^--(0[1-9]|1[0-2])${TZ}$`),
  gDay: new RegExp(`^---(0[1-9]|[12]\\d|3[01])${TZ}$`),
  gMonthDay: new RegExp(`^--(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])${TZ}$`),
};
const HEX = /^([0-9a-fA-F]{2})*$/;
const BASE64 = /^([A-Za-z0-9+/] ?){0,}(=( ?=)?)?$/;

function validDate(year: number, month: number, day: number): boolean {
  if (month < 1 || month > 12 || day < 1) return false;
  // Year 0 is not an XSD 1.0 year; Date.UTC handles leap years for the rest.
  const days = new Date(Date.UTC(2000 + (((year % 400) + 400) % 400), month, 0)).getUTCDate();
  return year !== 0 && day <= days;
}

function validTime(hour: number, minute: number, second: number, fraction: string | undefined): boolean {
  if (hour === 24) return minute === 0 && second === 0 && (fraction === undefined || /^\.0+$/.test(fraction));
  return hour < 24 && minute < 60 && second < 60;
}

function validZone(hours: string | undefined, minutes: string | undefined): boolean {
  if (hours === undefined) return true;
  const h = Number(hours);
  const m = Number(minutes);
  return m < 60 && (h < 14 || (h === 14 && m === 0));
}

/**
 * Checks a (whitespace-normalised) value against a built-in's lexical space; returns what is wrong in a
 * few words ("is not an xs:dateTime, e.g. 2026-12-03T14:30:00Z"), or null.
 */
export function checkBuiltin(builtin: string, value: string): string | null {
  const type = BUILTINS[builtin];
  if (type === undefined) return null;
  if (type.lexical && !type.lexical.test(value)) return `is not a valid xs:${builtin}`;
  switch (type.primitive) {
    case 'boolean':
      return /^(true|false|1|0)$/.test(value) ? null : 'must be true, false, 1 or 0 (xs:boolean)';
    case 'decimal': {
      if (type.integer) {
        if (!INTEGER.test(value)) return `must be a whole number (xs:${builtin})`;
        const [min, max] = type.range ?? [undefined, undefined];
        const n = BigInt(value);
        if ((min !== undefined && n < min) || (max !== undefined && n > max))
          return `is out of the range of xs:${builtin} (${min ?? '-∞'} to ${max ?? '∞'})`;
        return null;
      }
      return DECIMAL.test(value) ? null : 'must be a decimal number like 12.50 (xs:decimal, no exponent)';
    }
    case 'float':
      return FLOAT.test(value) ? null : `must be a number (xs:${builtin})`;
    case 'dateTime': {
      const m = DATE_TIME.exec(value);
      if (
        !m ||
        !validDate(Number(m[1]), Number(m[2]), Number(m[3])) ||
        !validTime(Number(m[4]), Number(m[5]), Number(m[6]), m[7]) ||
        !validZone(m[9], m[10])
      )
        return 'must be an xs:dateTime like 2026-12-03T14:30:00Z';
      return null;
    }
    case 'date': {
      const m = DATE.exec(value);
      if (!m || !validDate(Number(m[1]), Number(m[2]), Number(m[3])) || !validZone(m[5], m[6]))
        return 'must be an xs:date like 2026-12-03';
      return null;
    }
    case 'time': {
      const m = TIME.exec(value);
      if (!m || !validTime(Number(m[1]), Number(m[2]), Number(m[3]), m[4]) || !validZone(m[6], m[7]))
        return 'must be an xs:time like 14:30:00';
      return null;
    }
    case 'duration':
      return DURATION.test(value) ? null : 'must be an xs:duration like P1DT2H';
    case 'gregorian':
      return GREGORIAN[builtin]?.test(value) ? null : `is not a valid xs:${builtin}`;
    case 'hexBinary':
      return HEX.test(value) ? null : 'must be hexadecimal digits in pairs (xs:hexBinary)';
    case 'base64Binary':
      return BASE64.test(value) && value.replace(/[ =]/g, '').length % 4 !== 1
        ? null
        : 'is not valid base64 (xs:base64Binary)';
    case 'QName':
      return /^([^:\s]+:)?[^:\s]+$/.test(value) ? null : `is not a valid xs:${builtin}`;
    default:
      return null;
  }
}

/** The length of a value as XSD counts it: characters (code points), or octets for binary types. */
export function xsdLength(builtin: string, value: string): number {
  const primitive = primitiveOf(builtin);
  if (primitive === 'hexBinary') return value.length / 2;
  if (primitive === 'base64Binary') {
    const clean = value.replace(/ /g, '');
    return (clean.length / 4) * 3 - (clean.endsWith('==') ? 2 : clean.endsWith('=') ? 1 : 0);
  }
  let count = 0;
  for (const _ of value) count++;
  return count;
}

/**
 * Orders two values of the same primitive (for min/max facets): negative, zero or positive; undefined
 * when they are not comparable (dates with and without a time zone, NaN).
 */
export function compareValues(builtin: string, a: string, b: string): number | undefined {
  const primitive = primitiveOf(builtin);
  if (primitive === 'decimal') return compareDecimals(a, b);
  if (primitive === 'float') {
    const x = toFloat(a);
    const y = toFloat(b);
    return Number.isNaN(x) || Number.isNaN(y) ? undefined : Math.sign(x - y);
  }
  if (primitive === 'dateTime' || primitive === 'date') {
    const x = instant(primitive, a);
    const y = instant(primitive, b);
    return x === undefined || y === undefined ? undefined : Math.sign(x - y);
  }
  return undefined;
}

function toFloat(value: string): number {
  if (value === 'INF' || value === '+INF') return Number.POSITIVE_INFINITY;
  if (value === '-INF') return Number.NEGATIVE_INFINITY;
  return Number(value);
}

/** Compares two xs:decimal lexical values exactly (no floating point). */
function compareDecimals(a: string, b: string): number | undefined {
  if (!DECIMAL.test(a) || !DECIMAL.test(b)) return undefined;
  const [ia, fa] = splitDecimal(a);
  const [ib, fb] = splitDecimal(b);
  const scale = Math.max(fa.length, fb.length);
  const x = BigInt(ia + fa.padEnd(scale, '0'));
  const y = BigInt(ib + fb.padEnd(scale, '0'));
  return x < y ? -1 : x > y ? 1 : 0;
}

function splitDecimal(value: string): [string, string] {
  const sign = value.startsWith('-') ? '-' : '';
  const unsigned = value.replace(/^[+-]/, '');
  const [whole = '', fraction = ''] = unsigned.split('.');
  return [`${sign}${whole === '' ? '0' : whole}`, fraction];
}

/** Milliseconds of a dateTime or date with a time zone; undefined without one (not comparable). */
function instant(primitive: 'dateTime' | 'date', value: string): number | undefined {
  const m = (primitive === 'dateTime' ? DATE_TIME : DATE).exec(value);
  if (!m) return undefined;
  const zone = primitive === 'dateTime' ? m[8] : m[4];
  if (zone === undefined) return undefined;
  const text =
    primitive === 'dateTime' ? value : `${value.slice(0, value.length - zone.length)}T00:00:00${zone}`;
  const ms = Date.parse(text.replace(/^(\d{4}-\d{2}-\d{2}T)24:00:00(\.0+)?/, '$100:00:00'));
  if (Number.isNaN(ms)) return undefined;
  return /T24:00:00/.test(text) ? ms + 86_400_000 : ms;
}

/**
 * A value's canonical form for comparing what was sent with what a destination holds: `1.50` and `1.5`,
 * `2026-12-03T15:30:00+01:00` and `2026-12-03T14:30:00Z`, `1` and `true` compare equal.
 */
export function canonicalValue(builtin: string, value: string): string {
  const normalized = normalizeWhitespace(builtin, value);
  switch (primitiveOf(builtin)) {
    case 'boolean':
      return normalized === '1' ? 'true' : normalized === '0' ? 'false' : normalized;
    case 'decimal': {
      if (!DECIMAL.test(normalized)) return normalized;
      const [whole, fraction] = splitDecimal(normalized);
      const sign = whole.startsWith('-') ? '-' : '';
      const digits = whole.replace('-', '').replace(/^0+(?=\d)/, '');
      const frac = fraction.replace(/0+$/, '');
      const text = frac === '' ? digits : `${digits}.${frac}`;
      return /^0(\.0*)?$/.test(text) ? '0' : `${sign}${text}`;
    }
    case 'float': {
      const n = toFloat(normalized);
      return Number.isNaN(n) ? 'NaN' : String(n);
    }
    case 'dateTime':
    case 'date': {
      const ms = instant(primitiveOf(builtin) as 'dateTime' | 'date', normalized);
      return ms === undefined ? normalized : new Date(ms).toISOString();
    }
    case 'hexBinary':
      return normalized.toUpperCase();
    case 'base64Binary':
      return normalized.replace(/ /g, '');
    default:
      return normalized;
  }
}
