import { resolve } from 'node:path';
import { FerryError } from '../core/errors.ts';
import { registerSecret } from '../core/secret-registry.ts';
import { looksLikeUrl } from '../integration/looks-like-url.ts';
import { type PostgresConnection, postgresDisplayUrl } from '../state/postgres-connection.ts';

/** Where a ledger is: a state directory (SQLite) or a PostgreSQL database, and which rule chose it. */
export type LedgerLocation =
  | {
      readonly kind: 'sqlite';
      /** Absolute path of the state directory. */
      readonly dir: string;
      /** What messages and reports show: the directory. */
      readonly display: string;
      /** "--state", "FERRY_STATE", "state: in <file>" or "beside <file>". */
      readonly chosenBy: string;
    }
  | {
      readonly kind: 'postgres';
      readonly connection: PostgresConnection;
      /** What messages and reports show: the URL without its password or parameters. */
      readonly display: string;
      readonly chosenBy: string;
    };

/** The URL schemes of the ledgers ferry has. */
const POSTGRES_SCHEMES = new Set(['postgres:', 'postgresql:']);

/** Scheme and host only: a database URL often carries a password. */
function urlForMessage(value: string): string {
  try {
    const url = new URL(value);
    return `a ${url.protocol}// URL (${url.protocol}//${url.host}/...)`;
  } catch {
    return `a URL (${value.slice(0, value.indexOf('://') + 3)}...)`;
  }
}

/**
 * Refuses a URL that names a kind of ledger ferry does not have (before anything else is made of it, so a
 * `mysql://` is not taken for a directory name).
 */
export function checkLedgerUrlKind(value: string, chosenBy: string): void {
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(value)?.[1]?.toLowerCase();
  if (scheme === undefined || !POSTGRES_SCHEMES.has(`${scheme}:`)) {
    throw new FerryError(
      'FERRY_ERR_USAGE',
      `${chosenBy} names ${urlForMessage(value)}, a kind of ledger ferry does not support: give a directory ` +
        '(SQLite) or a postgres:// URL (PostgreSQL)',
      { details: { chosenBy } },
    );
  }
}

/**
 * Turns an interpolated location into a LedgerLocation: a `postgres://` (or `postgresql://`) URL is a
 * PostgreSQL ledger, whose password comes from the URL or else from PGPASSWORD in `env`; another URL is
 * refused rather than taken for a directory name; anything else is a directory, made absolute.
 */
export function parseLedgerLocation(
  value: string,
  chosenBy: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): LedgerLocation {
  if (value === '')
    throw new FerryError('FERRY_ERR_USAGE', `${chosenBy} is empty: give a directory or a URL`);
  if (!looksLikeUrl(value)) {
    const dir = resolve(value);
    return { kind: 'sqlite', dir, display: dir, chosenBy };
  }
  checkLedgerUrlKind(value, chosenBy);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new FerryError(
      'FERRY_ERR_USAGE',
      `${chosenBy} names ${urlForMessage(value)} that cannot be parsed`,
      {
        details: { chosenBy },
      },
    );
  }
  if (url.hostname === '' || url.pathname.length <= 1) {
    throw new FerryError(
      'FERRY_ERR_USAGE',
      `${chosenBy} names ${urlForMessage(value)} without a host or a database: write postgres://user@host:5432/db`,
      { details: { chosenBy } },
    );
  }
  const password = url.password === '' ? env.PGPASSWORD || undefined : undefined;
  if (password) registerSecret(password);
  return {
    kind: 'postgres',
    connection: { connectionString: value, ...(password ? { password } : {}) },
    display: postgresDisplayUrl(value),
    chosenBy,
  };
}
