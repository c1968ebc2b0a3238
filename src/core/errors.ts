import { type ErrorCode, type ErrorKind, errorCodes } from './error-codes.ts';

export type { ErrorCode, ErrorKind };

/** Options for a FerryError beyond its code and message. */
export interface FerryErrorOptions {
  /** The underlying error; never shown to users verbatim unless redacted. */
  cause?: unknown;
  /** Non-secret, structured facts about the failure (file, line, field, status, attempt...). */
  details?: Record<string, unknown>;
}

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
