import { REDACTED, redactSecrets, redactValue } from '../core/secret-registry.ts';
import { maskPersonalData } from './mask-personal-data.ts';

/** The minimal writable a log line can go to (process.stderr, a file stream, a test capture). */
export interface LineSink {
  write(chunk: string): unknown;
  readonly isTTY?: boolean;
}

/** Options for createRedactingStream. */
export interface RedactingStreamOptions {
  /** Where the cleaned lines go. */
  readonly destination: LineSink;
  /** Mask emails and phone numbers in every string value. @default false */
  readonly maskPersonalData?: boolean;
  /** Turns a cleaned JSON line into another format (pino-pretty) just before it is written. */
  readonly format?: (line: string) => string;
  /** Also gets every cleaned line, unformatted (JSON). */
  readonly copyTo?: LineSink;
}

/** Keys whose string (or string array) values are secret at any depth, whatever their case. */
const SENSITIVE_KEYS = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'api-key',
  'api_key',
  'apikey',
  'access_token',
  'accesstoken',
  'refresh_token',
  'refreshtoken',
  'id_token',
  'client_secret',
  'clientsecret',
  'client_assertion',
  'password',
  'passwd',
  'token',
  'secret',
  'private_key',
  'privatekey',
];
const JSON_STRING = String.raw`"(?:[^"\\]|\\.)*"`;
const SENSITIVE_ENTRY = new RegExp(
  String.raw`"(${SENSITIVE_KEYS.join('|')})"\s*:\s*(?:${JSON_STRING}|\[\s*(?:${JSON_STRING}\s*,?\s*)*\])`,
  'gi',
);

/**
 * Cleans one serialised log line: secrets in escaped strings, values under secret keys at any depth,
 * registered secret values, secret URL parameters and Authorization values, then optional PII masking.
 */
export function cleanLogLine(line: string, maskPii = false): string {
  let text = line;
  // Escapes (\n in stacks, \" in messages) can split a secret in the JSON text; clean the parsed strings.
  if (maskPii || text.includes('\\')) {
    const trailing = text.endsWith('\n') ? '\n' : '';
    try {
      let parsed: unknown = redactValue(JSON.parse(text));
      if (maskPii) parsed = maskPersonalData(parsed);
      text = JSON.stringify(parsed) + trailing;
    } catch {
      // Not JSON (should not happen with pino): the text passes below still apply.
    }
  }
  text = text.replace(SENSITIVE_ENTRY, (_m, key: string) => `"${key}":"${REDACTED}"`);
  return redactSecrets(text);
}

/**
 * Wraps a destination so every line written through it is cleaned first; pino writes whole lines,
 * so this is the last gate before bytes leave the process and cannot be bypassed by a careless field.
 */
export function createRedactingStream(options: RedactingStreamOptions): LineSink & { flushSync(): void } {
  const { destination, format, copyTo } = options;
  const maskPii = options.maskPersonalData === true;
  return {
    write(chunk: string): boolean {
      const clean = cleanLogLine(String(chunk), maskPii);
      destination.write(format ? format(clean) : clean);
      copyTo?.write(clean);
      return true;
    },
    flushSync(): void {
      const flush = (destination as { flushSync?: () => void }).flushSync;
      if (typeof flush === 'function') flush.call(destination);
    },
    ...(destination.isTTY === undefined ? {} : { isTTY: destination.isTTY }),
  };
}
