import type { Checkpoint } from './connector-types.ts';

/** The states a source record moves through; the last four are final. */
export type RecordState = 'pending' | 'in_flight' | 'delivered' | 'skipped' | 'quarantined' | 'failed';

/** A field-level reason a record was quarantined or failed. */
export interface Reason {
  /** The field path in the source record or destination body ("email", "address.zip"), if one. */
  readonly field?: string;
  /** A stable short code for grouping ("required", "format", "destination_400"). */
  readonly code: string;
  readonly message: string;
  /** Where the source read the record (`customers.csv:4711`, `cursor Y3Vy...#3`), when it says. */
  readonly at?: string;
}

/** What the ledger knows of one record of one integration. */
export interface RecordRow {
  readonly key: string;
  readonly state: RecordState;
  readonly attempts: number;
  /** RFC 3339, set the first time the record was mapped; keeps orderDate stable across retries and reruns. */
  readonly firstMappedAt: string | null;
  /** A hash of the mapped body last sent, to tell "same order" from "another order with this key". */
  readonly bodyHash: string | null;
  readonly lastError: string | null;
  readonly runId: string;
  readonly updatedAt: string;
  /**
   * Which idempotency key the record is sent under (0 for the first); raised when a different body must be
   * sent after the destination refused the one the key was first used with. @default 0
   */
  readonly keyGeneration?: number;
  /**
   * Whether the destination proved it did not store the last failed attempt (it refused it); null when
   * the record never failed or it is unknown.
   */
  readonly refused?: boolean | null;
  /** True while the record has a dead letter no replay resolved and no purge deleted. */
  readonly openDeadLetter?: boolean;
}

/** A state change to persist. Unset fields keep their stored value. */
export interface RecordUpdate {
  readonly key: string;
  readonly state: RecordState;
  readonly attempts?: number;
  readonly firstMappedAt?: string;
  readonly bodyHash?: string;
  readonly lastError?: string | null;
  readonly keyGeneration?: number;
  readonly refused?: boolean | null;
}

/** One state the ledger stored for a record: an entry of its history. */
export interface RecordChange {
  readonly runId: string;
  readonly state: RecordState;
  readonly attempts: number;
  readonly bodyHash: string | null;
  /** Why, for a quarantined or failed state. */
  readonly reason: string | null;
  /** RFC 3339. */
  readonly at: string;
}

/** A record's history across runs: where it stands, every state stored for it, and its dead letters. */
export interface RecordHistory {
  readonly integration: string;
  readonly record: RecordRow;
  /** Oldest first. */
  readonly changes: readonly RecordChange[];
  /** Oldest first, resolved ones included. */
  readonly deadLetters: readonly DeadLetter[];
}

/** A quarantined or failed record, kept whole so it can be inspected and replayed. */
export interface DeadLetter {
  readonly id: number;
  readonly integration: string;
  readonly key: string;
  readonly runId: string;
  readonly state: 'quarantined' | 'failed';
  /** The source record as read (already redacted of secrets). */
  readonly record: unknown;
  /** The mapped body, when mapping got that far. */
  readonly body: unknown;
  readonly reasons: readonly Reason[];
  readonly createdAt: string;
  /** Set when a replay delivered it; replayed letters stay for the audit trail. */
  readonly resolvedAt: string | null;
}

export type RunStatus =
  | 'running'
  | 'completed'
  | 'completed_with_errors'
  | 'aborted'
  | 'interrupted'
  | 'crashed';

/** One execution of an integration. */
export interface RunRow {
  readonly id: string;
  readonly integration: string;
  readonly status: RunStatus;
  readonly startedAt: string;
  readonly endedAt: string | null;
  readonly counts: Readonly<Record<string, number>>;
  /** The run report (JSON), once written. */
  readonly report: unknown;
}

/** Which dead letters a listing or count covers. */
export interface DeadLetterFilter {
  integration?: string;
  state?: 'quarantined' | 'failed';
  /** Include those already resolved by a replay. @default false */
  includeResolved?: boolean;
  /** Only those dead-lettered by this run. */
  runId?: string;
  /** Only those with a reason of this code ("required", "destination_400"). */
  reason?: string;
  /** Only those with a reason about this field ("email", "shippingAddress.region"). */
  field?: string;
}

/** Which runs a listing covers, and where a page of them starts. */
export interface RunFilter {
  integration?: string;
  status?: RunStatus;
  /** Only runs listed after this one (newest first): the next page after the last run read. */
  beforeId?: string;
  limit?: number;
}

/**
 * Durable state: runs, source checkpoints, record states and dead letters, applied in the order they were
 * called. SQLite implements it (state/sqlite-ledger.ts); every method returns a promise so that a server
 * database can too.
 */
export interface Ledger {
  startRun(integration: string, startedAt: string): Promise<RunRow>;
  /** Marks runs of this integration left 'running' by a killed process as 'crashed'; resolves to their ids. */
  markCrashedRuns(integration: string): Promise<string[]>;
  finishRun(runId: string, status: RunStatus, counts: Record<string, number>, report: unknown): Promise<void>;
  getRun(runId: string): Promise<RunRow | undefined>;
  /**
   * Runs newest first (by start, the later started first among equal starts), filtered, at most `limit`;
   * `beforeId` pages on from the last run read, and an id the ledger does not know lists nothing.
   */
  listRuns(options?: RunFilter): Promise<RunRow[]>;
  /** Runs whose id starts with `prefix`, newest first, at most `limit` (default 10). */
  findRunsByIdPrefix(prefix: string, limit?: number): Promise<RunRow[]>;

  getCheckpoint(integration: string): Promise<Checkpoint | null>;
  /**
   * Resolves once the checkpoint is durable, stored after every update queued before this call. null clears
   * it (the source was read to its end).
   */
  saveCheckpoint(integration: string, checkpoint: Checkpoint | null, runId: string): Promise<void>;
  /** True once a run of this integration read the source to its end with this ledger. */
  hasReadToEnd(integration: string): Promise<boolean>;

  getRecords(integration: string, keys: readonly string[]): Promise<Map<string, RecordRow>>;
  /** Records of this integration left in_flight (by a crash): the ones to reconcile before resending. */
  listInFlight(integration: string): Promise<RecordRow[]>;
  /** The history of the record with this key, in each integration that has one (or in just `integration`). */
  recordHistory(key: string, options?: { integration?: string }): Promise<RecordHistory[]>;
  /**
   * Queues updates and resolves once they are durable. Updates queued close together share one transaction
   * (group commit), so callers may queue per record without making the ledger the bottleneck.
   */
  update(integration: string, runId: string, updates: readonly RecordUpdate[]): Promise<void>;
  /**
   * Writes these updates now, in one transaction with whatever is queued, and resolves once they are durable.
   * For the marks that must be durable before a request goes out: awaiting update() there would hold every
   * send for the group commit's delay.
   */
  updateNow(integration: string, runId: string, updates: readonly RecordUpdate[]): Promise<void>;
  /** Writes queued updates now; resolves once they are durable. */
  flush(): Promise<void>;

  /** Queues a dead letter (group commit, as update) and resolves once it is durable. */
  addDeadLetter(letter: Omit<DeadLetter, 'id' | 'createdAt' | 'resolvedAt'>): Promise<void>;
  /** Dead letters matching the filter, newest first; `beforeId` pages on from the last one read. */
  listDeadLetters(options?: DeadLetterFilter & { limit?: number; beforeId?: number }): Promise<DeadLetter[]>;
  /** How many dead letters match the filter (what listDeadLetters would return without a limit). */
  countDeadLetters(options?: DeadLetterFilter): Promise<number>;
  getDeadLetter(id: number): Promise<DeadLetter | undefined>;
  /** Marks a dead letter resolved by a replay; rejects with FERRY_ERR_USAGE when there is no such letter. */
  resolveDeadLetter(id: number, resolvedAt: string): Promise<void>;
  /** Deletes dead letters; resolves to how many. Rejects with FERRY_ERR_USAGE given neither filter. */
  purgeDeadLetters(options: { integration?: string; ids?: readonly number[] }): Promise<number>;

  /** Writes what is queued and releases the ledger; later calls reject. Closing twice is harmless. */
  close(): Promise<void>;
}
