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
  stream.write(redactSecrets(`${head}${message}${typeof code === 'string' ? ` [${code}]` : ''}\n`));
  if (process.env.FERRY_DEBUG && error instanceof Error && error.stack) {
    stream.write(`${redactSecrets(error.stack)}\n`);
  }
}
