import type { ConcurrencyLimit } from './concurrency-limit.ts';
import type { ErrorCode } from './error-codes.ts';
import type { CursorValue, InboxEntry, Reason } from './ledger-types.ts';

/** A value that survives JSON.stringify and JSON.parse unchanged. */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };

/**
 * Where a source resumes, as JSON only the source reads and writes: a next URL, a cursor, a line and a
 * byte offset... The engine stores it after every settled page and hands it back; it never looks inside.
 */
export type Checkpoint = { readonly [key: string]: JsonValue };

/** One page of source records, with the checkpoint that resumes after it. */
export interface SourcePage {
  readonly records: readonly unknown[];
  /**
   * Where each record was read, in the records' order, for reasons and logs (`customers.csv:4711`,
   * `cursor Y3Vyc29yOjQy`); absent when the page itself says enough.
   */
  readonly positions?: readonly string[];
  /**
   * Records the source read but knows are damaged (a CSV row with too few cells, a GraphQL edge that came
   * back with errors instead of data), by their index in `records`: quarantined with these reasons instead
   * of mapped. Their slot in `records` holds what was read, for the dead letter.
   */
  readonly rejects?: ReadonlyMap<number, readonly [Reason, ...Reason[]]>;
  /** Says which page this was, for messages ("page 3", "lines 2-1001"); never a credential. */
  readonly label?: string;
  /** null when this was the last page. */
  readonly next: Checkpoint | null;
  /**
   * Records the source says it holds in all (an X-Total-Count header, a total in the body), when it says:
   * for progress, and to check a complete read against.
   */
  readonly totalRecords?: number;
  /** Records of the read before this page (resumed pages included), when the source tracks it. */
  readonly recordsBefore?: number;
}

/**
 * The cursor of a source that reads incrementally: which record field tells how recent a record is. The
 * engine tracks its highest settled value (the high-water mark); the source only puts `since` where its
 * protocol wants it (a query parameter, a GraphQL variable).
 */
export interface IncrementalCursor {
  /** Dot path of the cursor in each source record (`updated_at`, `meta.version`). */
  readonly field: string;
  /** `timestamp`: RFC 3339, compared as instants; `number`: an increasing number (or numeric string). */
  readonly type: 'timestamp' | 'number';
  /** How far before the mark a read starts, to catch late writes: ms for timestamps, units for numbers. */
  readonly lookback: number;
  /** What the first read asks from, before there is a mark; without it the first read asks for everything. */
  readonly start?: CursorValue;
}

/** Reads pages; knows its protocol and nothing about the pipeline. */
export interface SourceConnector {
  /**
   * Streams pages lazily from `from` (or the start), so backpressure is simply not pulling. `since`, given
   * only to a source with `incremental`, asks for the records whose cursor is at or after it (inclusive);
   * a read resumed from a checkpoint gets the same `since` as the read it resumes.
   */
  readPages(options: {
    from: Checkpoint | null;
    signal: AbortSignal;
    since?: CursorValue;
  }): AsyncIterable<SourcePage>;
  /** Present when the source reads only what changed since the last complete read. */
  readonly incremental?: IncrementalCursor;
  /**
   * What a complete read whose record count differs from the total the source announced does: "fail"
   * aborts the run with FERRY_ERR_SOURCE_INCOMPLETE, "warn" tells the observer. @default "fail"
   */
  readonly onTotalMismatch?: 'fail' | 'warn';
  /**
   * Told, in page order, once a checkpoint this source gave is durable in the ledger (every record before it
   * settled): a source that holds items elsewhere until they are processed (an inbox, a queue) releases
   * them here. A rejection stops the run as a failed checkpoint save does.
   */
  checkpointSaved?(checkpoint: Checkpoint | null): Promise<void>;
  close(): Promise<void>;
}

/**
 * The inbox of an integration's pushed events (webhooks) as its source reads it; the runtime hands it to
 * the connector when the run has a ledger.
 */
export interface InboxReader {
  /** Pending events with a seq above `afterSeq`, oldest first, at most `limit`. */
  read(afterSeq: number, limit: number): Promise<readonly InboxEntry[]>;
  /** Marks the events up to `upToSeq` processed: their records are settled and the checkpoint says so. */
  acknowledge(upToSeq: number): Promise<void>;
  /**
   * Present while events can arrive during the run (`ferry serve`): resolves once an event may have been
   * stored since the last read, after `timeoutMs`, or when `signal` aborts, whichever comes first. Absent
   * (`ferry run`), the source ends once it has read what waits.
   */
  waitForEvents?(timeoutMs: number, signal: AbortSignal): Promise<void>;
}

/**
 * What a write does at the destination: make a record it does not hold, replace the version it holds, or
 * remove it. A sink receives `update` and `delete` only when it declares `onChange: 'update'` or
 * `onDelete: 'delete'`.
 */
export type WriteOperation = 'create' | 'update' | 'delete';

/** One mapped record ready to write. */
export interface OutgoingRecord {
  readonly key: string;
  /**
   * Identical on every attempt of one write. A create's is derived from the record key (and its key
   * generation); an update's or a delete's from the version's hash too, so each version is written once.
   */
  readonly idempotencyKey: string;
  /** The mapped value; the sink serialises it (JSON, XML, a CSV row...). For a delete, what it last mapped. */
  readonly value: unknown;
  /**
   * `JSON.stringify(value)`, when the engine wrote it already (it hashes that text): a JSON sink sends it
   * as is instead of serialising the value a second time.
   */
  readonly json?: string;
  /** @default 'create' */
  readonly operation?: WriteOperation;
  /** A hash of this version's mapped value (what the ledger remembers once it is delivered). */
  readonly version?: string;
  /**
   * For an update or a delete: the hash of the version the ledger says the destination holds, when it
   * knows (not after a crash left the previous write unsettled).
   */
  readonly previousVersion?: string;
  /** Where the record was read, when the source said (`customers.csv:4711`). */
  readonly position?: string;
  readonly signal?: AbortSignal;
}

/** What became of one write, after all retries the sink is allowed. */
export type DeliveryOutcome =
  | {
      readonly state: 'delivered';
      readonly attempts: number;
      readonly note?: string;
      /**
       * What the destination turned out to hold already (the record its refusal carried, or a lookup found):
       * a new ledger keeps the first delivery's time from it, not its own.
       */
      readonly held?: unknown;
    }
  | {
      readonly state: 'failed';
      readonly attempts: number;
      /** Why, the main reason first (`destination_422`, `VALIDATION_FAILED`), then field-level ones. */
      readonly reasons: readonly [Reason, ...Reason[]];
      /**
       * The destination proved it did not store the record: it refused it (a 4xx but 408/409/429, a
       * validation fault). After any other failure it may be stored under its key, so a changed body is
       * sent under a new key only after a lookup.
       */
      readonly refused?: boolean;
      /**
       * The destination refused the idempotency key as used before with another body, and a lookup found
       * no record: nothing is stored under this key, so the value may be sent again under a new one.
       */
      readonly newKeySafe?: boolean;
    };

/** Result of asking the destination whether a record already arrived (reconciliation after a crash). */
export type LookupResult =
  | { readonly found: false }
  | { readonly found: true; readonly matches: boolean; readonly body: unknown };

/** Writes records to a destination. */
export interface SinkConnector {
  send(record: OutgoingRecord): Promise<DeliveryOutcome>;
  /**
   * The destination's own contract for a record's shape, checked before anything is sent (a WSDL's
   * schema, what an XML document can hold): the engine calls it right after mapping a create or an
   * update, in dry runs and replays too, and a record it refuses is **quarantined** with these reasons
   * (each `field` the path in the destination's terms, `Order/Customer/Email`) instead of being marked in
   * flight. [] lets the record through. Synchronous and free of I/O: it runs for every record.
   */
  validate?(value: unknown, operation: WriteOperation): readonly Reason[];
  /**
   * Writes several records at once (one file append, one bulk request), one outcome per record in order.
   * The engine uses it when present; a record's in_flight mark is durable before its batch is written.
   */
  sendBatch?(records: readonly OutgoingRecord[]): Promise<readonly DeliveryOutcome[]>;
  /** Present when the destination offers a lookup by key. */
  lookup?(record: OutgoingRecord): Promise<LookupResult>;
  /**
   * Asks the destination something harmless with the credentials a run would use, for `ferry check`:
   * resolves with what it saw; rejects (with the credential or network error) when it cannot.
   */
  probe?(): Promise<ProbeResult>;
  /**
   * Starts what the first write needs (a token) without waiting. The engine calls it once the first source
   * page has been asked for, so the two travel at once; a failure is left for the first write to report.
   */
  prepare?(): void;
  /**
   * Writes (or batches) the destination takes at once: a number, or a limit that moves while the run goes
   * (an HTTP sink hands on its stack's `concurrency`). @default 16
   */
  readonly concurrency?: number | ConcurrencyLimit;
  /**
   * When records the ledger does not know are looked up before their first write (with a lookup):
   * `new_ledger` until a run has read the source to its end with this ledger. @default 'new_ledger'
   */
  readonly lookupBeforeSend?: 'new_ledger' | 'always' | 'never';
  /**
   * What a delivered record that comes again with another mapped body does: `update` sends it with
   * operation 'update', `skip` leaves the destination as it is, `dead_letter` fails it with reason
   * `changed_after_delivery`. @default 'skip'
   */
  readonly onChange?: 'update' | 'skip' | 'dead_letter';
  /**
   * What a record the mapping says is deleted at the source does: `delete` sends it with operation
   * 'delete' when the destination holds it, `ignore` skips it. @default 'ignore'
   */
  readonly onDelete?: 'delete' | 'ignore';
  close(): Promise<void>;
}

/** What a sink's probe found: reachable and accepting the credentials, or why not. */
export interface ProbeResult {
  readonly ok: boolean;
  /** What was asked and answered ("GET https://.../orders/ferry-check-...: answered 404 Not Found"). */
  readonly detail: string;
  /** Why not, as an error code (`FERRY_ERR_HTTP_UNAUTHORIZED`, `FERRY_ERR_HTTP_TRANSIENT`). */
  readonly code?: ErrorCode;
}
