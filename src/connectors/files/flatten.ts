import { isDeepStrictEqual } from 'node:util';

/** True for a plain JSON object (not an array, not null). */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/**
 * Flattens nested objects into dot paths (`{customerInfo: {name: "Ann"}}` is `customerInfo.name`), in
 * the order the keys come; arrays, scalars and null are leaves. An empty object gives no path.
 */
export function flatten(value: Record<string, unknown>): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const walk = (node: Record<string, unknown>, prefix: string): void => {
    for (const [key, child] of Object.entries(node)) {
      const path = prefix === '' ? key : `${prefix}.${key}`;
      if (isPlainObject(child)) walk(child, path);
      else if (child !== undefined) out.set(path, child);
    }
  };
  walk(value, '');
  return out;
}

/** True when `path` is one of `ignored` or lies inside one (`shippingAddress` ignores `shippingAddress.city`). */
export function isIgnored(path: string, ignored: readonly string[]): boolean {
  return ignored.some((field) => path === field || path.startsWith(`${field}.`));
}

/**
 * True when every leaf of what was sent is stored, equal, except the ignored fields (a mapping's
 * `compare: false`, such as a date ferry set when it first mapped the record). Leaves the stored row has
 * and the sent one lacks do not count: the destination may hold more.
 */
export function storedMatches(
  sent: ReadonlyMap<string, unknown>,
  stored: ReadonlyMap<string, unknown>,
  ignored: readonly string[],
): boolean {
  for (const [path, value] of sent) {
    if (isIgnored(path, ignored)) continue;
    if (!stored.has(path) || !isDeepStrictEqual(stored.get(path), value)) return false;
  }
  return true;
}
