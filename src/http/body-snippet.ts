import { redactSecrets } from '../core/secret-registry.ts';

/**
 * The start of a peer's response body, fit for a message: at most `maxChars` characters, white space folded,
 * control characters shown as `?` (a hostile body must not drive the operator's terminal nor forge lines),
 * and any registered secret redacted. "" when the body is empty.
 */
export function bodySnippet(body: Buffer, maxChars = 200): string {
  // Four bytes a character at most in UTF-8: enough for maxChars, never the whole body. Redacted before it
  // is cut, so a secret standing across the cut cannot show its first half.
  const text = redactSecrets(body.subarray(0, maxChars * 4).toString('utf8'))
    .replace(/\s+/g, ' ')
    // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, '?')
    .trim();
  return text.slice(0, maxChars);
}
