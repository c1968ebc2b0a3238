/**
 * Thrown by a compiled JSONata expression when this evaluation leaves the compiled subset (an array in the
 * middle of a path, a value JSONata would refuse with an error, ...): the caller then evaluates the same
 * expression with the interpreter, which gives the authoritative result or error. Compiled code is pure, so
 * running the interpreter afterwards is always safe.
 */
export class JsonataFallback extends Error {
  override readonly name = 'JsonataFallback';
}

// One shared instance: a fallback is a control-flow signal, and capturing a stack each time would cost more
// than the evaluation it replaces.
const FALLBACK = new JsonataFallback('this evaluation is outside the compiled JSONata subset');

/** Leaves the compiled evaluation; the interpreter takes over. */
export function fallback(): never {
  throw FALLBACK;
}
