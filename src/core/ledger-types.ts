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
  /**
   * The hash of the version the destination holds: the body it last acknowledged. It outlives later
   * attempts (an update in flight or failed), and is null when the destination holds none (never
   * delivered, or deleted there). @default null
   */
  readonly deliveredHash?: string | null;
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
  /** What the destination now holds (RecordRow.deliveredHash); null clears it. */
  readonly deliveredHash?: string | null;
}

/** A cursor value of an incremental read: an RFC 3339 timestamp or an increasing number. */
export type CursorValue = string | number;

/**
 * Where an incremental read stands, stored with the checkpoint in the same write: the engine owns what it
 * means (src/engine/high-water.ts); a ledger keeps it as it was given.
 */
export interface HighWaterMark {
  /** The record field the values were read from; a mark of another field is not used. */
  readonly field: string;
  /**
   * The highest cursor value of the records settled by the last complete read: the next read asks for
   * what changed since it (less the lookback). null before the first complete read.
   */
  readonly mark: CursorValue | null;
  /** The highest cursor value settled so far by the read under way; the mark once that read completes. */
  readonly pending: CursorValue | null;
  /**
   * The lowest cursor value of a record of the read under way that failed without being refused (it may
   * succeed next time): the mark stops there, so the next read tries it again.
   */
  readonly retryFrom: CursorValue | null;
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
 * An event pushed to ferry (a webhook), as the integration's inbox keeps it: stored durably before the
 * sender is answered, then read by a run like any source record.
 */
export interface InboxEvent {
  readonly integration: string;
  /** The sender's id for the event (`webhook-id`, `X-GitHub-Delivery`, Stripe's `evt_...`): a redelivery carries the same one. */
  readonly eventId: string;
  /** The key the mapping gives the event's record; null when it has none. Orders the events of one key. */
  readonly key: string | null;
  /**
   * Where the event stands among the events of its key (ms since the epoch of its timestamp, or a sequence
   * number): one older than an event already taken for its key is stale. null: the event is not ordered.
   */
  readonly version: number | null;
  /** The event as received (parsed JSON); secrets are masked when stored. */
  readonly payload: unknown;
  /** RFC 3339. */
  readonly receivedAt: string;
}

/** An event waiting in an inbox, with its place in arrival order. */
export interface InboxEntry extends InboxEvent {
  /** Increases with every event stored in the ledger, and is never reused (not even after a prune). */
  readonly seq: number;
}

/**
 * What became of an event offered to the inbox: `accepted` (stored, to be processed), `duplicate` (its id
 * was stored before: nothing changes), `stale` (an event of its key with a later version was stored: its id
 * is kept, it is never processed) or `full` (the inbox holds its limit of pending events: nothing stored).
 */
export type InboxOutcome = 'accepted' | 'duplicate' | 'stale' | 'full';

/** What an inbox holds that no run has processed yet. */
export interface InboxStats {
  readonly pending: number;
  /** RFC 3339 arrival time of the oldest pending event; null when none is pending. */
  readonly oldestPendingAt: string | null;
}

/**
 * Durable state: runs, source checkpoints, record states and dead letters, applied in the order they were
 * called. SQLite (state/sqlite-ledger.ts) and PostgreSQL (state/postgres-ledger.ts) implement it, and both
 * pass the one contract suite (state/ledger-contract.ts).
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
  saveCheckpoint(
    integration: string,
    checkpoint: Checkpoint | null,
    runId: string,
    /** Stored in the same write as the checkpoint; undefined keeps the one stored. */
    highWater?: HighWaterMark,
  ): Promise<void>;
  /** The high-water mark stored with the integration's checkpoint, or null when none was. */
  getHighWaterMark(integration: string): Promise<HighWaterMark | null>;
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

  /**
   * Offers a pushed event to its integration's inbox and resolves, once what it did is durable, with the
   * outcome: stored when accepted, recognised as a redelivery by its id, stale when an event of its key
   * with a later version was stored before (its id kept, never processed), refused while `maxPending`
   * events wait. Events are deduplicated per integration; the events of one key are read in arrival order,
   * each one (an older one still waiting is not dropped: a run may have taken it already).
   */
  inboxAdd(
    event: InboxEvent,
    options: { readonly maxPending: number },
  ): Promise<{ readonly outcome: InboxOutcome; readonly seq?: number }>;
  /** Pending events of the integration with a seq above `afterSeq`, oldest first, at most `limit`. */
  inboxRead(integration: string, afterSeq: number, limit: number): Promise<InboxEntry[]>;
  /**
   * Marks the pending events of the integration up to `upToSeq` processed: they are no longer read, their
   * payloads are dropped, their ids still deduplicate until pruned.
   */
  inboxAcknowledge(integration: string, upToSeq: number): Promise<void>;
  /** How many events of the integration wait, and since when. */
  inboxStats(integration: string): Promise<InboxStats>;
  /**
   * Forgets the integration's processed and stale events received before `before` (RFC 3339):
   * their ids no longer deduplicate. Pending events are never pruned. Resolves to how many were forgotten.
   */
  inboxPrune(integration: string, before: string): Promise<number>;

  /** Writes what is queued and releases the ledger; later calls reject. Closing twice is harmless. */
  close(): Promise<void>;
}
