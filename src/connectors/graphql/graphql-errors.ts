import { escapeControlCharacters } from '../../core/escape-control-characters.ts';
import type { ResponseAction } from '../../core/http-types.ts';
import { redactSecrets } from '../../core/secret-registry.ts';

/**
 * What a GraphQL error means to ferry, read from its `extensions.code`:
 * - `retry`: the server failed for now (INTERNAL_SERVER_ERROR, SERVICE_UNAVAILABLE...);
 * - `rate_limited`: slow down (RATE_LIMITED, THROTTLED);
 * - `refresh_auth`: credentials expired or missing (UNAUTHENTICATED);
 * - `forbidden`: the credentials may not do this (FORBIDDEN): no retry fixes it;
 * - `invalid`: the operation itself is wrong for the server's schema (GRAPHQL_VALIDATION_FAILED);
 * - `refused`: the input was refused (BAD_USER_INPUT): a record's fault, nothing was stored;
 * - `conflict`: the record exists already (CONFLICT, TAKEN): compared through the lookup;
 * - `unknown`: anything else.
 */
export type ErrorClass =
  | 'retry'
  | 'rate_limited'
  | 'refresh_auth'
  | 'forbidden'
  | 'invalid'
  | 'refused'
  | 'conflict'
  | 'unknown';

/** The classes a user may assign codes to (`error_codes` in the config). */
export const CONFIGURABLE_CLASSES = [
  'retry',
  'rate_limited',
  'refresh_auth',
  'forbidden',
  'invalid',
  'refused',
  'conflict',
] as const satisfies readonly ErrorClass[];

/** `extensions.code` -> class, as data. GraphQL has no standard codes: these are Apollo's, Shopify's, Hasura's and graphql-java's common ones. */
export const DEFAULT_ERROR_CODES: Readonly<Record<(typeof CONFIGURABLE_CLASSES)[number], readonly string[]>> =
  {
    retry: [
      'INTERNAL_SERVER_ERROR',
      'INTERNAL',
      'INTERNAL_ERROR',
      'SERVICE_UNAVAILABLE',
      'UNAVAILABLE',
      'TIMEOUT',
      'TIMED_OUT',
      'GATEWAY_TIMEOUT',
      'DEADLINE_EXCEEDED',
    ],
    rate_limited: [
      'RATE_LIMITED',
      'THROTTLED',
      'TOO_MANY_REQUESTS',
      'RATE_LIMIT_EXCEEDED',
      'MAX_COST_EXCEEDED',
    ],
    refresh_auth: ['UNAUTHENTICATED', 'UNAUTHORIZED', 'INVALID_TOKEN', 'TOKEN_EXPIRED'],
    forbidden: ['FORBIDDEN', 'ACCESS_DENIED', 'PERMISSION_DENIED'],
    invalid: [
      'GRAPHQL_PARSE_FAILED',
      'GRAPHQL_VALIDATION_FAILED',
      'OPERATION_RESOLUTION_FAILURE',
      'PERSISTED_QUERY_NOT_SUPPORTED',
      'VALIDATIONERROR',
      'INVALIDSYNTAX',
    ],
    refused: [
      'BAD_USER_INPUT',
      'VALIDATION_FAILED',
      'VALIDATION_ERROR',
      'INVALID_INPUT',
      'UNPROCESSABLE',
      'BAD_REQUEST',
    ],
    conflict: ['CONFLICT', 'ALREADY_EXISTS', 'DUPLICATE', 'TAKEN'],
  };

/** The user's additions, which win over the defaults. */
export type ErrorCodeOverrides = Partial<Record<(typeof CONFIGURABLE_CLASSES)[number], readonly string[]>>;

/** One entry of a response's `errors`, as far as ferry reads it. */
export interface GraphqlErrorEntry {
  readonly message: string;
  /** Response path of the field that failed (`["customers","nodes",3]`); absent for a request error. */
  readonly path?: readonly (string | number)[];
  /** `extensions.code` (or graphql-java's `classification`), as sent. */
  readonly code?: string;
  readonly extensions?: Readonly<Record<string, unknown>>;
}

/** A GraphQL response body: `data` (absent, null or an object) and its `errors`. */
export interface GraphqlAnswer {
  /** Whether the body has a `data` key at all: without one, the server refused the request before executing it. */
  readonly hasData: boolean;
  readonly data: unknown;
  readonly errors: readonly GraphqlErrorEntry[];
}

/**
 * Reads a parsed body as a GraphQL response; a string saying what is wrong when it is not one (no `data`
 * nor `errors`, `errors` not a list). Error entries without a string message are kept with a placeholder:
 * a peer's sloppiness must not hide that something failed.
 */
export function readGraphqlAnswer(body: unknown): GraphqlAnswer | string {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return 'expected a GraphQL response (an object with data and/or errors)';
  }
  const hasData = Object.hasOwn(body, 'data');
  const rawErrors = (body as { errors?: unknown }).errors;
  if (!hasData && rawErrors === undefined)
    return 'expected a GraphQL response, found neither data nor errors';
  if (rawErrors !== undefined && rawErrors !== null && !Array.isArray(rawErrors)) {
    return 'expected errors to be a list';
  }
  const errors = (rawErrors ?? []).map(readErrorEntry);
  return { hasData, data: hasData ? (body as { data: unknown }).data : undefined, errors };
}

function readErrorEntry(raw: unknown): GraphqlErrorEntry {
  const entry = raw !== null && typeof raw === 'object' ? (raw as Record<string, unknown>) : {};
  const message = typeof entry.message === 'string' ? entry.message : '(an error without a message)';
  const path =
    Array.isArray(entry.path) && entry.path.every((p) => typeof p === 'string' || typeof p === 'number')
      ? (entry.path as (string | number)[])
      : undefined;
  const extensions =
    entry.extensions !== null && typeof entry.extensions === 'object' && !Array.isArray(entry.extensions)
      ? (entry.extensions as Record<string, unknown>)
      : undefined;
  const code = [extensions?.code, extensions?.classification, entry.code].find(
    (candidate): candidate is string => typeof candidate === 'string' && candidate !== '',
  );
  return {
    message,
    ...(path ? { path } : {}),
    ...(code ? { code } : {}),
    ...(extensions ? { extensions } : {}),
  };
}

/** Classifies errors by code: the user's table first, then the defaults, then what graphql-js's wording shows. */
export function createErrorClassifier(overrides: ErrorCodeOverrides = {}) {
  const table = new Map<string, ErrorClass>();
  for (const source of [DEFAULT_ERROR_CODES, overrides]) {
    for (const errorClass of CONFIGURABLE_CLASSES) {
      for (const code of source[errorClass] ?? []) table.set(normalise(code), errorClass);
    }
  }
  return function classOf(error: GraphqlErrorEntry, answer: { readonly hasData: boolean }): ErrorClass {
    if (error.code !== undefined) return table.get(normalise(error.code)) ?? 'unknown';
    // graphql-js (and the servers built on it) send parse and validation errors without a code.
    if (/^Syntax Error\b/.test(error.message)) return 'invalid';
    if (isVariableError(error)) return 'refused';
    // Without data, the request never executed (GraphQL over HTTP's "request error"): the document or its
    // variables were refused, and a retry sends the same.
    if (!answer.hasData && error.path === undefined) return 'invalid';
    return 'unknown';
  };
}

function normalise(code: string): string {
  return code.toUpperCase().replace(/[-\s]/g, '_');
}

/** The order in which one error's class outweighs another's when several come back together. */
const WEIGHT: readonly ErrorClass[] = [
  'invalid',
  'forbidden',
  'refresh_auth',
  'refused',
  'conflict',
  'unknown',
  'rate_limited',
  'retry',
];

/** The class that decides for several errors: a retry only when every one of them is worth retrying. */
export function decidingClass(classes: readonly ErrorClass[]): ErrorClass {
  let best: ErrorClass = 'retry';
  for (const errorClass of classes) {
    if (WEIGHT.indexOf(errorClass) < WEIGHT.indexOf(best)) best = errorClass;
  }
  return best;
}

/** The HTTP stack's action for errors of one class (so the stack retries, waits or refreshes credentials). */
export function actionFor(errorClass: ErrorClass, reason: string): ResponseAction {
  switch (errorClass) {
    case 'retry':
      return { type: 'retry', reason };
    case 'rate_limited':
      return { type: 'rate_limited', reason };
    case 'refresh_auth':
      return { type: 'refresh_auth', reason };
    case 'refused':
      return { type: 'reject', reason };
    case 'conflict':
      return { type: 'conflict', reason };
    default:
      return { type: 'fail', reason };
  }
}

const VARIABLE_ERROR = /^Variable "\$([A-Za-z_][A-Za-z0-9_]*)"/;

/** A graphql-js error about a variable's value (`Variable "$input" has invalid value at .email: ...`). */
export function isVariableError(error: GraphqlErrorEntry): boolean {
  return VARIABLE_ERROR.test(error.message);
}

/** The variable an error names, when it is a variable error. */
export function variableOf(error: GraphqlErrorEntry): string | undefined {
  return VARIABLE_ERROR.exec(error.message)?.[1];
}

/**
 * The field of a variable's value an error is about, in dot form (`customerInfo.contactEmail`): from
 * graphql-js 17's `at .a.b`, graphql-js 16's `at "input.a.b"`, or `extensions.field` (a string or a list
 * of segments, as Shopify's userErrors have it). Undefined when none says.
 */
export function variableFieldOf(error: GraphqlErrorEntry, variable: string): string | undefined {
  const fromExtensions = fieldText(error.extensions?.field);
  if (fromExtensions !== undefined) return withoutPrefix(fromExtensions, variable);
  const v17 = /has invalid value at ((?:\.[A-Za-z_]\w*|\[\d+\])+)/.exec(error.message);
  const v16 = /at "([^"]+)"/.exec(error.message);
  const at = v17 ? v17[1]!.replace(/^\./, '') : v16 ? withoutPrefix(v16[1]!, variable) : '';
  // "to include required field "orderDate"" / "not to include unknown field "note"": the field is one level down.
  // graphql-js 16 says it as "Field "orderDate" of required type "String!" was not provided".
  const match =
    /(?:required|unknown) field "([A-Za-z_]\w*)"/.exec(error.message) ??
    /Field "([A-Za-z_]\w*)" (?:of required type|is not defined)/.exec(error.message);
  const named = match?.[1];
  const field = named === undefined ? at : at === '' ? named : `${at}.${named}`;
  return field === '' ? undefined : field;
}

/** `["input","email"]` or `"input.email"` as dot text; undefined for anything else. */
export function fieldText(field: unknown): string | undefined {
  if (typeof field === 'string' && field !== '') return field;
  if (
    Array.isArray(field) &&
    field.length > 0 &&
    field.every((f) => typeof f === 'string' || typeof f === 'number')
  ) {
    return joinPath(field as (string | number)[]);
  }
  return undefined;
}

/** `input.customerInfo.email` -> `customerInfo.email` when `input` is the variable the value went into. */
export function withoutPrefix(field: string, variable: string): string {
  if (field === variable) return '';
  return field.startsWith(`${variable}.`) ? field.slice(variable.length + 1) : field;
}

/** A response path as text: `customers.nodes[3].email`. */
export function joinPath(path: readonly (string | number)[]): string {
  let text = '';
  for (const segment of path) {
    text += typeof segment === 'number' ? `[${segment}]` : text === '' ? segment : `.${segment}`;
  }
  return text;
}

const MAX_MESSAGE = 300;

/** One error for a message: its text (redacted, bounded, unable to drive a terminal) and its code. */
export function describeError(error: GraphqlErrorEntry): string {
  const text = escapeControlCharacters(redactSecrets(error.message)).slice(0, MAX_MESSAGE);
  const where = error.path ? ` at ${joinPath(error.path)}` : '';
  return `${text}${where}${error.code ? ` (${escapeControlCharacters(error.code).slice(0, 60)})` : ''}`;
}

/** Several errors for one message: the first two and how many more. */
export function describeErrors(errors: readonly GraphqlErrorEntry[]): string {
  if (errors.length === 0) return 'no errors';
  const shown = errors.slice(0, 2).map(describeError).join('; ');
  return errors.length > 2 ? `${shown}; and ${errors.length - 2} more` : shown;
}
