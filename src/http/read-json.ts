import { FerryError } from '../core/errors.ts';
import type { HttpResponse } from '../core/http-types.ts';
import { redactSecrets } from '../core/secret-registry.ts';

/** Limits applied when parsing a response body as JSON. */
export interface ReadJsonOptions {
  /** Deepest nesting accepted. @default 64 */
  maxDepth?: number;
  /** What was being fetched, for the error message ("page 4 of customers"). */
  context?: string;
}

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;
const POLLUTING_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Deepest bracket nesting outside strings, found in one pass without recursion. Strings, most of a body,
 * are skipped with indexOf to their closing quote (one preceded by an even run of backslashes) rather than
 * walked character by character. An unterminated string ends the scan, as nothing after it counts.
 */
function nestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      let end = text.indexOf('"', i + 1);
      for (;;) {
        if (end < 0) return deepest;
        let backslashes = 0;
        while (text.charCodeAt(end - 1 - backslashes) === 0x5c) backslashes++;
        if (backslashes % 2 === 0) break;
        end = text.indexOf('"', end + 1);
      }
      i = end;
    } else if (c === 0x7b || c === 0x5b) {
      depth++;
      if (depth > deepest) deepest = depth;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return deepest;
}

/** C0/C1 control characters and line separators, as a hostile body may put them into a parser message. */
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/** Shows control characters as \uXXXX so a message stays one line and no escape sequence reaches a terminal. */
function escapeControl(text: string): string {
  return text.replace(CONTROL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function dropPollutingKeys(key: string, value: unknown): unknown {
  return POLLUTING_KEYS.has(key) ? undefined : value;
}

/**
 * Parses a response body as JSON safely: checks the content type, rejects malformed or truncated JSON and
 * nesting deeper than maxDepth, and drops `__proto__`/`constructor`/`prototype` keys so nothing is polluted.
 * Throws FerryError FERRY_ERR_HTTP_BAD_RESPONSE with a message that names the URL and what was wrong.
 */
export function readJson(response: HttpResponse, options: ReadJsonOptions = {}): unknown {
  const maxDepth = options.maxDepth ?? 64;
  const where = `${options.context ?? 'reading'} ${redactSecrets(response.url)}`;
  const fail = (problem: string, cause?: unknown): FerryError =>
    new FerryError('FERRY_ERR_HTTP_BAD_RESPONSE', `${where}: ${problem}`, {
      details: { url: redactSecrets(response.url), status: response.status, problem },
      ...(cause === undefined ? {} : { cause }),
    });

  const contentType = response.headers['content-type'];
  if (contentType === undefined || !JSON_TYPE.test(contentType.trim())) {
    throw fail(
      `expected a JSON content type (application/json or */*+json), received ${
        contentType === undefined ? 'no Content-Type' : JSON.stringify(contentType.slice(0, 100))
      }`,
    );
  }
  const text = response.body.toString('utf8');
  if (text.trim() === '') throw fail('empty body where JSON was expected');
  // Checked before parsing so a hostile 10k-deep document never reaches a recursive reviver.
  const depth = nestingDepth(text);
  if (depth > maxDepth) throw fail(`JSON nested ${depth} levels deep, more than the limit of ${maxDepth}`);
  try {
    // The reviver costs a second walk; skip it when no dangerous key can be present (a \u escape could
    // spell one, so any escape counts as risky).
    const risky =
      text.includes('__proto__') ||
      text.includes('constructor') ||
      text.includes('prototype') ||
      text.includes('\\u');
    return risky ? JSON.parse(text, dropPollutingKeys) : JSON.parse(text);
  } catch (cause) {
    // JSON.parse quotes the offending bytes of the body: escape them, they come from the peer.
    const detail = escapeControl(cause instanceof Error ? cause.message : String(cause));
    throw fail(`malformed or truncated JSON (${response.body.length} bytes): ${detail}`, cause);
  }
}

/**
 * Parses JSON that arrived from outside (a webhook body) with the same care as a response body: nesting
 * deeper than `maxDepth` is refused before parsing, and `__proto__`/`constructor`/`prototype` keys are
 * dropped. Says what was wrong instead of throwing, for an answer to the sender.
 */
export function parseUntrustedJson(
  text: string,
  maxDepth = 64,
): { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly problem: string } {
  if (text.trim() === '') return { ok: false, problem: 'the body is empty' };
  const depth = nestingDepth(text);
  if (depth > maxDepth) return { ok: false, problem: `the body is nested more than ${maxDepth} levels deep` };
  try {
    const risky =
      text.includes('__proto__') ||
      text.includes('constructor') ||
      text.includes('prototype') ||
      text.includes('\\u');
    return { ok: true, value: risky ? JSON.parse(text, dropPollutingKeys) : JSON.parse(text) };
  } catch {
    return { ok: false, problem: 'the body is not JSON' };
  }
}
