import type { ErrorObject } from 'ajv/dist/2020.js';
import type { Reason } from '../core/ledger-types.ts';

/** Annotation keywords a schema may carry to word its own reasons (registered with ajv in create-schema-validator). */
export const MESSAGE_KEYWORD = 'x-message';
export const CODE_KEYWORD = 'x-code';

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  integer: 'a whole number',
  number: 'a number',
  object: 'an object',
  array: 'a list',
  boolean: 'true or false',
  null: 'null',
};

const FORMAT_WORDS: Record<string, string> = {
  email: 'a plausible email address',
  'date-time': 'an RFC 3339 date-time such as 2024-05-01T12:00:00Z',
  date: 'a date such as 2024-05-01',
  time: 'a time such as 12:00:00Z',
  uri: 'an absolute URL',
  url: 'an absolute URL',
  uuid: 'a UUID',
  ipv4: 'an IPv4 address',
  ipv6: 'an IPv6 address',
  hostname: 'a host name',
};

/** Turns ajv errors into one reason per field, in dot form, worded as what was expected rather than ajv's terms. */
export function schemaErrorsToReasons(errors: readonly ErrorObject[] | null | undefined): Reason[] {
  const byField = new Map<string, Reason>();
  for (const error of errors ?? []) {
    const reason = toReason(error);
    if (reason === null) continue;
    const slot = reason.field ?? '';
    // ajv reports several keywords for one bad value; the first (usually `type` or `required`) says the most.
    if (!byField.has(slot)) byField.set(slot, reason);
  }
  return [...byField.values()];
}

/** "/address/zip" -> "address.zip"; "/lines/0" -> "lines[0]". */
export function pointerToDotPath(pointer: string, extra?: string): string {
  const segments = pointer === '' ? [] : pointer.slice(1).split('/');
  if (extra !== undefined) segments.push(extra);
  let out = '';
  for (const raw of segments) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(segment) ? `[${segment}]` : out === '' ? segment : `.${segment}`;
  }
  return out;
}

function annotation(schema: unknown, keyword: string): string | undefined {
  if (typeof schema !== 'object' || schema === null) return undefined;
  const value = (schema as Record<string, unknown>)[keyword];
  return typeof value === 'string' ? value : undefined;
}

function toReason(error: ErrorObject): Reason | null {
  const params = error.params as Record<string, unknown>;
  const parent = error.parentSchema;
  // Composite keywords only summarise errors already reported for their branches.
  if (['anyOf', 'oneOf', 'allOf', 'if', 'not', 'then', 'else'].includes(error.keyword)) {
    return error.keyword === 'not'
      ? make(error.instancePath, 'invalid', 'is not allowed to match this rule')
      : null;
  }
  if (error.keyword === 'required') {
    const missing = String(params.missingProperty);
    const properties = (parent as { properties?: Record<string, unknown> } | undefined)?.properties;
    const property = properties && Object.hasOwn(properties, missing) ? properties[missing] : undefined;
    const expected = annotation(property, MESSAGE_KEYWORD);
    return make(
      pointerToDotPath(error.instancePath, missing),
      'required',
      expected ? `is missing; ${expected}` : 'is missing',
    );
  }
  if (error.keyword === 'additionalProperties' || error.keyword === 'unevaluatedProperties') {
    const extra = String(params.additionalProperty ?? params.unevaluatedProperty);
    return make(
      pointerToDotPath(error.instancePath, extra),
      'not_allowed',
      'is not a field this schema allows',
    );
  }
  const field = pointerToDotPath(error.instancePath);
  const own = annotation(parent, MESSAGE_KEYWORD);
  const [code, message] = describe(error, params);
  return make(field, annotation(parent, CODE_KEYWORD) ?? code, own ?? message);
}

function make(field: string, code: string, message: string): Reason {
  return field === '' ? { code, message: `the record ${message}` } : { field, code, message };
}

function describe(error: ErrorObject, params: Record<string, unknown>): [string, string] {
  const limit = params.limit;
  switch (error.keyword) {
    case 'type': {
      const types = String(params.type).split(',');
      return ['wrong_type', `must be ${types.map((t) => TYPE_WORDS[t] ?? t).join(' or ')}`];
    }
    case 'minLength':
      return limit === 1
        ? ['empty', 'must be a non-empty string']
        : ['too_short', `must be at least ${limit} characters long`];
    case 'maxLength':
      return ['too_long', `must be at most ${limit} characters long`];
    case 'pattern':
      return ['invalid_format', `must match the pattern ${String(params.pattern)}`];
    case 'format': {
      const format = String(params.format);
      return ['invalid_format', `must be ${FORMAT_WORDS[format] ?? `a valid ${format}`}`];
    }
    case 'minimum':
      return ['out_of_range', `must be at least ${limit}`];
    case 'maximum':
      return ['out_of_range', `must be at most ${limit}`];
    case 'exclusiveMinimum':
      return ['out_of_range', `must be more than ${limit}`];
    case 'exclusiveMaximum':
      return ['out_of_range', `must be less than ${limit}`];
    case 'multipleOf':
      return ['out_of_range', `must be a multiple of ${String(params.multipleOf)}`];
    case 'enum':
      return [
        'not_allowed',
        `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`,
      ];
    case 'const':
      return ['not_allowed', `must be ${JSON.stringify(params.allowedValue)}`];
    case 'minItems':
      return ['too_short', `must have at least ${limit} items`];
    case 'maxItems':
      return ['too_long', `must have at most ${limit} items`];
    case 'uniqueItems':
      return ['invalid', 'must not contain the same item twice'];
    case 'minProperties':
      return ['too_short', `must have at least ${limit} fields`];
    case 'maxProperties':
      return ['too_long', `must have at most ${limit} fields`];
    default:
      return ['invalid', `does not satisfy the schema's ${error.keyword} rule`];
  }
}
