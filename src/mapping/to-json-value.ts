/** Where a mapped value stopped being plain JSON. */
export interface NotJson {
  /** Dot path inside the value. */
  readonly path: string;
  readonly problem: string;
}

const MAX_DEPTH = 64;

/**
 * Copies a JSONata result into plain JSON (fresh arrays without JSONata's sequence flags, objects built with
 * Object.fromEntries so a "__proto__" key stays an own property), or says where it is not JSON.
 */
export function toJsonValue(value: unknown): { ok: true; value: unknown } | { ok: false; error: NotJson } {
  try {
    return { ok: true, value: copy(value, '', 0) };
  } catch (error) {
    if (error instanceof NotJsonError)
      return { ok: false, error: { path: error.path, problem: error.message } };
    throw error;
  }
}

class NotJsonError extends Error {
  readonly path: string;
  constructor(path: string, message: string) {
    super(message);
    this.path = path;
  }
}

function copy(value: unknown, path: string, depth: number): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new NotJsonError(path, 'is not a finite number');
    return value;
  }
  if (depth >= MAX_DEPTH) throw new NotJsonError(path, `nests deeper than ${MAX_DEPTH} levels`);
  if (Array.isArray(value)) return Array.from(value, (item, i) => copy(item, `${path}[${i}]`, depth + 1));
  if (typeof value === 'object') {
    // JSONata functions are plain objects flagged like this; copying one would walk its whole environment.
    const marks = value as { _jsonata_lambda?: unknown; _jsonata_function?: unknown };
    if (marks._jsonata_lambda === true || marks._jsonata_function === true) {
      throw new NotJsonError(path, 'is a function, not a value');
    }
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) throw new NotJsonError(path, 'is not a plain object');
    const out: [string, unknown][] = [];
    for (const key of Object.keys(value)) {
      const item = (value as Record<string, unknown>)[key];
      // JSONata drops undefined from object constructors; one that slipped through is simply absent.
      if (item === undefined) continue;
      out.push([key, copy(item, path ? `${path}.${key}` : key, depth + 1)]);
    }
    return Object.fromEntries(out);
  }
  throw new NotJsonError(
    path,
    typeof value === 'function' ? 'is a function, not a value' : `is a ${typeof value}`,
  );
}
