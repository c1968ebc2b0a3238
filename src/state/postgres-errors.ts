import { setTimeout as sleep } from 'node:timers/promises';
import { FerryError } from '../core/errors.ts';
import { redactSecrets } from '../core/secret-registry.ts';

/** The SQLSTATE of a PostgreSQL error, or the errno code of a socket error. */
function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

const CONNECTION_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * True when the error says the connection, not the statement, failed: the server restarted or is starting,
 * the network dropped. Waiting and trying again on a new connection may succeed; nothing else is retried.
 */
export function isConnectionError(error: unknown): boolean {
  const code = codeOf(error);
  if (code !== undefined) {
    if (CONNECTION_ERRNOS.has(code)) return true;
    // 08: connection exception; 57P01-57P03: admin shutdown, crash shutdown, cannot connect now.
    if (code.startsWith('08') || code === '57P01' || code === '57P02' || code === '57P03') return true;
    return false;
  }
  const message = error instanceof Error ? error.message : String(error);
  return /Connection terminated|connection timeout|Client has encountered a connection error|timeout exceeded when trying to connect/i.test(
    message,
  );
}

function messageOf(error: unknown): string {
  return redactSecrets(error instanceof Error ? error.message : String(error));
}

/**
 * The FerryError for a failure of the PostgreSQL ledger at `where` (a URL without its password) while
 * doing `what`: an environment problem (unreachable, refused login, missing database) gets a code of its
 * own and a message that says what to check; anything else is FERRY_ERR_STATE.
 */
export function postgresStateError(what: string, where: string, error: unknown): FerryError {
  if (error instanceof FerryError) return error;
  const code = codeOf(error);
  const reason = messageOf(error);
  const details = { location: where, ...(code ? { sqlstate: code } : {}) };
  if (code === '28P01' || code === '28000') {
    return new FerryError(
      'FERRY_ERR_STATE_AUTH',
      `${what} in the ledger ${where} failed: ${reason}; give the password in PGPASSWORD, a ~/.pgpass file, ` +
        // biome-ignore lint/suspicious/noTemplateCurlyInString: it names the ${file:...} reference syntax.
        '${file:...} in the URL, or the whole URL through an environment variable (FERRY_STATE)',
      { cause: error, details },
    );
  }
  if (code === '3D000' || code === '3F000' || code === '42501') {
    return new FerryError(
      'FERRY_ERR_STATE_UNUSABLE',
      `the PostgreSQL ledger ${where} cannot be used: ${reason}`,
      {
        cause: error,
        details,
      },
    );
  }
  if (isConnectionError(error)) {
    return new FerryError(
      'FERRY_ERR_STATE_UNREACHABLE',
      `${what} in the ledger ${where} failed: PostgreSQL cannot be reached (${reason})`,
      { cause: error, details },
    );
  }
  return new FerryError('FERRY_ERR_STATE', `${what} in the ledger ${where} failed: ${reason}`, {
    cause: error,
    details,
  });
}

/** Options of withReconnect. */
export interface ReconnectOptions {
  /** The ledger's URL without its password, for the error. */
  readonly where: string;
  readonly timeoutMs: number;
  /** Told of each lost connection before the next try (the error's text redacted). */
  readonly onReconnecting?: (event: { what: string; attempt: number; error: string }) => void;
}

/**
 * Runs `fn`, waiting out lost connections (a database restart, a dropped network) for up to `timeoutMs`
 * with a growing pause; any other error, or one past the time, is thrown as a FerryError.
 */
export async function withReconnect<T>(
  what: string,
  fn: () => Promise<T>,
  options: ReconnectOptions,
): Promise<T> {
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (!isConnectionError(error) || Date.now() - started >= options.timeoutMs) {
        throw postgresStateError(what, options.where, error);
      }
      options.onReconnecting?.({ what, attempt, error: redactSecrets(String(error)) });
      await sleep(Math.min(2000, 50 * 2 ** attempt));
    }
  }
}
