/** Where a PostgreSQL ledger is and how to log in. */
export interface PostgresConnection {
  /** `postgres://user@host:port/db`; a password in it is used, and kept out of every message. */
  readonly connectionString: string;
  /** The password, when not in the URL (PGPASSWORD, a `${file:}` reference). */
  readonly password?: string | undefined;
}

/** The URL as messages show it: no password, no parameters. */
export function postgresDisplayUrl(connectionString: string): string {
  try {
    const url = new URL(connectionString);
    url.password = '';
    url.search = '';
    return url.href;
  } catch {
    return 'postgres://(unparsable URL)';
  }
}
