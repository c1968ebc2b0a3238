/** Where a mapped value stopped being plain JSON. */
export interface NotJson {
  /** Dot path inside the value. */
  readonly path: string;
  readonly problem: string;
}

const MAX_DEPTH = 64;

/**
 * Copies a JSONata result into plain JSON (fresh arrays without JSONata's sequence flags, fresh objects where
 * a "__proto__" key stays an own property), or says where it is not JSON.
 */
export function toJsonValue(value: unknown): { ok: true; value: unknown } | { ok: false; error: NotJson } {
  try {
    return { ok: true, value: copy(value, 0) };
  } catch (error) {
    if (error instanceof NotJsonError)
      return { ok: false, error: { path: error.path(), problem: error.message } };
    throw error;
  }
}

/**
 * Carries the steps to the faulty value, innermost first, gathered while the error unwinds: the path is
 * only built when something is wrong, not for every field of every good record.
 */
class NotJsonError extends Error {
  readonly steps: (string | number)[] = [];
  path(): string {
    let path = '';
    for (let i = this.steps.length - 1; i >= 0; i--) {
      const step = this.steps[i]!;
      path += typeof step === 'number' ? `[${step}]` : path ? `.${step}` : step;
    }
    return path;
  }
}

function copy(value: unknown, depth: number): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new NotJsonError('is not a finite number');
    return value;
  }
  if (depth >= MAX_DEPTH) throw new NotJsonError(`nests deeper than ${MAX_DEPTH} levels`);
  if (Array.isArray(value)) {
    const out = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) {
      try {
        out[i] = copy(value[i], depth + 1);
      } catch (error) {
        if (error instanceof NotJsonError) error.steps.push(i);
        throw error;
      }
    }
    return out;
  }
  if (typeof value === 'object') {
    // JSONata functions are plain objects flagged like this; copying one would walk its whole environment.
    const marks = value as { _jsonata_lambda?: unknown; _jsonata_function?: unknown };
    if (marks._jsonata_lambda === true || marks._jsonata_function === true) {
      throw new NotJsonError('is a function, not a value');
    }
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) throw new NotJsonError('is not a plain object');
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      const item = (value as Record<string, unknown>)[key];
      // JSONata drops undefined from object constructors; one that slipped through is simply absent.
      if (item === undefined) continue;
      let copied: unknown;
      try {
        copied = copy(item, depth + 1);
      } catch (error) {
        if (error instanceof NotJsonError) error.steps.push(key);
        throw error;
      }
      // Assigning "__proto__" would set the prototype instead; define it as an own property, as JSON.parse does.
      if (key === '__proto__') {
        Object.defineProperty(out, key, {
          value: copied,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      } else out[key] = copied;
    }
    return out;
  }
  throw new NotJsonError(typeof value === 'function' ? 'is a function, not a value' : `is a ${typeof value}`);
}
