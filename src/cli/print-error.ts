import { errorKindOf } from '../core/errors.ts';
import { redactSecrets } from '../core/secret-registry.ts';

/**
 * Prints an error for a person: the message (which already says what was being done), its code, and
 * never a stack trace unless FERRY_DEBUG is set. Everything passes through redaction.
 */
export function printError(error: unknown, stream: NodeJS.WritableStream = process.stderr): void {
  const kind = errorKindOf(error);
  const code = (error as { code?: unknown })?.code;
  const message = error instanceof Error ? error.message : String(error);
  const head = kind === 'internal' ? 'ferry: internal error (a bug; please report it): ' : 'ferry: ';
  const line = `${head}${oneLine(message)}${typeof code === 'string' ? ` [${code}]` : ''}`;
  stream.write(`${redactSecrets(line)}\n`);
  if (process.env.FERRY_DEBUG && error instanceof Error && error.stack) {
    stream.write(`${redactSecrets(error.stack)}\n`);
  }
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/g;

/**
 * Error messages can quote what a hostile peer sent: control characters (ANSI escapes, carriage returns,
 * newlines) are shown escaped so they can neither forge lines nor drive the operator's terminal.
 */
export function oneLine(text: string): string {
  return text.replace(CONTROL_CHARACTERS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
