import { FerryError } from '../core/errors.ts';
import type { HttpResponse } from '../core/http-types.ts';

/** Limits applied when parsing a response body as JSON. */
export interface ReadJsonOptions {
  /** Deepest nesting accepted. @default 64 */
  maxDepth?: number;
  /** What was being fetched, for the error message ("page 4 of customers"). */
  context?: string;
}

/**
 * Parses a response body as JSON safely: checks the content type, rejects malformed or truncated JSON and
 * nesting deeper than maxDepth, and drops `__proto__`/`constructor.prototype` keys so nothing is polluted.
 * Throws FerryError FERRY_ERR_HTTP_BAD_RESPONSE with a message that names the URL and what was wrong.
 * (Stub: the http helper replaces the body of this function; the signature is fixed.)
 */
export function readJson(response: HttpResponse, options: ReadJsonOptions = {}): unknown {
  try {
    return JSON.parse(response.body.toString('utf8'));
  } catch (cause) {
    throw new FerryError(
      'FERRY_ERR_HTTP_BAD_RESPONSE',
      `${options.context ?? 'reading'} ${response.url}: malformed JSON`,
      { cause },
    );
  }
}
