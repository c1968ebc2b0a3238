import { errorKindOf } from '../core/errors.ts';
import { escapeControlCharacters } from '../core/escape-control-characters.ts';
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
 * its problems) as lines. Every continuation line is indented, so a line break quoted from a peer cannot
 * forge a `ferry:` line; other control characters are shown escaped.
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
