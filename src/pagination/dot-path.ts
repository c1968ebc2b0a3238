/** The result of following a dot path into a JSON value. */
export type PathLookup =
  | { readonly found: true; readonly value: unknown }
  | { readonly found: false; readonly missingAt: string };

/**
 * Follows a dot path ("data.items", "meta.next_cursor", "links.0.href") into a parsed JSON value.
 * "" is the value itself. Only own properties are followed, so "constructor" or "__proto__" never
 * reach the prototype chain.
 */
export function readPath(value: unknown, path: string): PathLookup {
  if (path === '') return { found: true, value };
  let current: unknown = value;
  const segments = path.split('.');
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    if (current === null || typeof current !== 'object' || !Object.hasOwn(current, segment)) {
      return { found: false, missingAt: segments.slice(0, i + 1).join('.') };
    }
    current = (current as Record<string, unknown>)[segment];
  }
  return { found: true, value: current };
}

/** Names a JSON value's type the way a person would: array, object, string, number, boolean or null. */
export function jsonTypeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}
