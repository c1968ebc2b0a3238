import { isDeepStrictEqual } from 'node:util';
import type { LookupResult } from '../../core/connector-types.ts';

/**
 * True when everything we sent is present, equal, in what the destination returned. Destinations add
 * fields of their own (ids, timestamps, status), so equality of the whole body would be too strict.
 * `ignore` lists dot paths of fields not compared (a mapping's `compare: false`), e.g. a timestamp ferry
 * set when it first mapped the record, which a new ledger sets anew.
 */
export function containsSent(
  sent: unknown,
  stored: unknown,
  ignore: ReadonlySet<string> = new Set(),
): boolean {
  return contains(sent, stored, ignore, '');
}

function contains(sent: unknown, stored: unknown, ignore: ReadonlySet<string>, path: string): boolean {
  if (sent === null || typeof sent !== 'object' || Array.isArray(sent))
    return isDeepStrictEqual(sent, stored);
  if (stored === null || typeof stored !== 'object' || Array.isArray(stored)) return false;
  for (const [key, value] of Object.entries(sent)) {
    const here = path === '' ? key : `${path}.${key}`;
    if (ignore.has(here)) continue;
    if (!Object.hasOwn(stored, key)) return false;
    if (!contains(value, (stored as Record<string, unknown>)[key], ignore, here)) return false;
  }
  return true;
}

/**
 * Fills `{key}` with the record key and `{field}` with a body field, URL-encoded: a top-level field, else a
 * dot path (`{order.orderId}`, as an XML body's root wraps its fields).
 */
export function fillUrlTemplate(template: string, key: string, body: Record<string, unknown>): string {
  return template.replace(/\{([A-Za-z0-9_.-]+)\}/g, (_, name: string) => {
    const value = name === 'key' ? key : fieldAt(body, name);
    return encodeURIComponent(typeof value === 'string' || typeof value === 'number' ? String(value) : '');
  });
}

/** The body fields a URL template names (`{orderId}`), which identify the record in a collection's answer. */
export function templateFields(template: string): string[] {
  return [...template.matchAll(/\{([A-Za-z0-9_.-]+)\}/g)].map((m) => m[1]!).filter((name) => name !== 'key');
}

/** How to read a lookup's 200 answer. */
export interface LookupAnswerOptions {
  /**
   * Dot path to the list in a wrapped collection answer (`data`, `items`, `result.orders`); "" when the
   * answer is the resource itself or a bare list.
   */
  readonly recordsPath: string;
  /** Body fields the URL filters by: a listed item is this record only when they are equal. */
  readonly identityFields: readonly string[];
  /** Dot paths not compared. */
  readonly ignore: ReadonlySet<string>;
}

/**
 * Reads a lookup's 200 answer: a single resource (found), or a collection filtered by a query, where an
 * empty list means "not there" and a list holding the record means "found". Items whose identity fields
 * differ from the record's are someone else's (an API that ignores an unknown filter lists everything),
 * so they never count as "a different record with this key".
 */
export function readLookupAnswer(
  sent: Record<string, unknown>,
  answer: unknown,
  options: LookupAnswerOptions,
): LookupResult | { readonly invalid: string } {
  let list: unknown = answer;
  if (options.recordsPath !== '') {
    for (const segment of options.recordsPath.split('.')) {
      if (list === null || typeof list !== 'object' || Array.isArray(list) || !Object.hasOwn(list, segment))
        return { invalid: `the answer has no "${options.recordsPath}" (lookup.records_path)` };
      list = (list as Record<string, unknown>)[segment];
    }
    if (!Array.isArray(list)) return { invalid: `"${options.recordsPath}" in the answer is not a list` };
  }
  if (!Array.isArray(list)) {
    return { found: true, matches: containsSent(sent, answer, options.ignore), body: answer };
  }
  const candidates = list.filter((item) =>
    options.identityFields.every(
      (field) =>
        item !== null &&
        typeof item === 'object' &&
        isDeepStrictEqual(fieldAt(item as Record<string, unknown>, field), fieldAt(sent, field)),
    ),
  );
  if (candidates.length === 0) return { found: false };
  const same = candidates.find((item) => containsSent(sent, item, options.ignore));
  return same === undefined
    ? { found: true, matches: false, body: candidates[0] }
    : { found: true, matches: true, body: same };
}

/** A field of a body: top-level by its name, else by dot path; undefined when it has none. */
export function fieldAt(body: Readonly<Record<string, unknown>>, name: string): unknown {
  if (Object.hasOwn(body, name)) return body[name];
  let current: unknown = body;
  for (const step of name.split('.')) {
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, step)) return undefined;
    current = (current as Record<string, unknown>)[step];
  }
  return current;
}
