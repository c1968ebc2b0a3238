import { type ErrorCode, type ErrorKind, errorCodes } from './error-codes.ts';

export type { ErrorCode, ErrorKind };

/** Options for a FerryError beyond its code and message. */
export interface FerryErrorOptions {
  /** The underlying error; never shown to users verbatim unless redacted. */
  cause?: unknown;
  /** Non-secret, structured facts about the failure (file, line, field, status, attempt...). */
  details?: Record<string, unknown>;
}

/** Marks a FerryError whichever copy of this module made it (see FerryError[Symbol.hasInstance]). */
const FERRY_ERROR = Symbol.for('ferry.FerryError');

/** The one base error of ferry: a stable `code` from the table in error-codes.ts and the `kind` it implies. */
export class FerryError extends Error {
  readonly code: ErrorCode;
  readonly kind: ErrorKind;
  readonly details: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, options: FerryErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'FerryError';
    this.code = code;
    this.kind = errorCodes[code].kind;
    this.details = options.details ?? {};
    Object.defineProperty(this, FERRY_ERROR, { value: true });
  }

  /**
   * `instanceof FerryError` holds for a FerryError made by another copy of this module: the CLI runs as a
   * bundle (dist/bundle/), while an integration written in TypeScript imports `ferry`, the library
   * (dist/index.js), and an error it throws must still read as ferry's. Subclasses keep the usual test.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class instanceof asks about, maybe a subclass
    if (this !== FerryError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return (
      typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[FERRY_ERROR] === true
    );
  }
}

/** True when `error` is a FerryError with the given code; matches by code, not instanceof, as undici does. */
export function hasErrorCode(error: unknown, code: ErrorCode): error is FerryError {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === code;
}

/** The kind of any thrown value: FerryErrors carry one, anything else is an internal error. */
export function errorKindOf(error: unknown): ErrorKind {
  if (typeof error === 'object' && error !== null) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && Object.hasOwn(errorCodes, code))
      return errorCodes[code as ErrorCode].kind;
  }
  return 'internal';
}

/** Any thrown value as a FerryError: one that is already keeps its code, anything else is internal. */
export function asFerryError(error: unknown): FerryError {
  if (error instanceof FerryError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new FerryError('FERRY_ERR_INTERNAL', message, { cause: error });
}
