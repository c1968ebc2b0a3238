import type { Ledger } from '../core/ledger-types.ts';
import type { LedgerLocation } from './ledger-location.ts';

/** A ledger a command opened, with what it says about itself. */
export type OpenedLedger = Ledger & {
  /** The directory or URL (without its password) messages and reports show. */
  readonly location: string;
  /** True when this open created the ledger: none was there before. */
  readonly created: boolean;
};

/** How openLedger opens. */
export interface OpenLedgerOptions {
  /**
   * Refuse to create a ledger: for commands that only read one, where a new empty ledger would hide that
   * they looked in the wrong place. Throws FERRY_ERR_STATE_NOT_FOUND. @default false
   */
  readonly mustExist?: boolean;
  /** Told each time a PostgreSQL ledger waits for its server to come back (a restart, a network drop). */
  readonly onReconnecting?: (info: { what: string; attempt: number; error: string }) => void;
  /**
   * How long to wait for a PostgreSQL server that cannot be reached at open: a worker a supervisor starts
   * alongside the database waits; a command fails at once. @default 0
   */
  readonly openTimeoutMs?: number;
}

/**
 * Opens the ledger at a location: SQLite in a state directory, or PostgreSQL. Every command, the server and
 * the workers open theirs here; each backend is loaded only when used.
 */
export async function openLedger(
  location: LedgerLocation,
  options: OpenLedgerOptions = {},
): Promise<OpenedLedger> {
  const mustExist = options.mustExist === true;
  if (location.kind === 'postgres') {
    const { openPostgresLedger } = await import('../state/postgres-ledger.ts');
    return openPostgresLedger(location.connection, {
      mustExist,
      ...(options.onReconnecting ? { onReconnecting: options.onReconnecting } : {}),
      ...(options.openTimeoutMs === undefined ? {} : { openTimeoutMs: options.openTimeoutMs }),
    });
  }
  const { openSqliteLedger } = await import('../state/sqlite-ledger.ts');
  return openSqliteLedger(location.dir, { mustExist });
}
