import { errorKindOf } from '../core/errors.ts';
import { redactSecrets } from '../core/secret-registry.ts';

/**
 * Prints an error for a person: the message (which already says what was being done), its code, and
 * never a stack trace unless FERRY_DEBUG is set. Everything passes through redaction.
 */
export function printError(error: unknown, stream: NodeJS.WritableStream = process.stderr): void {
  stream.write(`${formatError(error)}\n`);
  if (process.env.FERRY_DEBUG && error instanceof Error && error.stack) {
    stream.write(`${redactSecrets(error.stack)}\n`);
  }
}

/**
 * The text printError writes: `ferry: <message> [CODE]`, a multi-line message (a config error listing
 * its problems) as lines, each continuation line indented.
 */
export function formatError(error: unknown): string {
  const kind = errorKindOf(error);
  const code = (error as { code?: unknown })?.code;
  const message = error instanceof Error ? error.message : String(error);
  const head = kind === 'internal' ? 'ferry: internal error (a bug; please report it): ' : 'ferry: ';
  const [first = '', ...rest] = message.split(/\r?\n/).map(escapeControlCharacters);
  const lines = [first, ...rest.map((line) => (line.startsWith('  ') ? line : `  ${line}`))];
  const tail = typeof code === 'string' ? ` [${code}]` : '';
  // The code goes after the headline, where the eye lands first, not after the last listed problem.
  lines[0] = `${head}${lines[0]}${tail}`;
  return redactSecrets(lines.join('\n'));
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point.
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/g;

/**
 * Error messages can quote what a hostile peer sent: control characters (ANSI escapes, carriage returns)
 * are shown escaped so they cannot drive the operator's terminal. Line breaks are split on before this,
 * and every continuation line is indented, so a quoted line break cannot forge a `ferry:` line either.
 */
function escapeControlCharacters(text: string): string {
  return text.replace(CONTROL_CHARACTERS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
