import type { Checkpoint } from './connector-types.ts';
import type { CursorValue, Reason, RecordState } from './ledger-types.ts';

/**
 * Pages handed between processes: a reader (`ferry run` on PostgreSQL) reads the source and enqueues its
 * pages; any worker takes one, sends its records and settles them in the shared ledger. These are the
 * shapes both sides and the queue (src/state/postgres-page-queue.ts) agree on.
 */

/** One source record as a page carries it to whichever process sends it. */
export interface QueuedRecord {
  readonly record: unknown;
  /** The key from the mapping, or a content hash for records without one. */
  readonly key: string;
  readonly hasKey: boolean;
  /** Where the source read it (`customers.csv:4711`). */
  readonly position?: string;
  /** The source's reasons when it knows the record is damaged. */
  readonly rejected?: readonly Reason[];
  /** Its cursor value, in an incremental read. */
  readonly cursor?: CursorValue;
  /** A repeat of a record read earlier in the same run: settled as skipped, never sent. */
  readonly duplicate?: boolean;
}

/** The final states a record ends a page in. */
export type SettledState = Exclude<RecordState, 'pending' | 'in_flight'>;

/** How one record of a page ended, as the process that sent it tells the reader. */
export interface RecordOutcome {
  readonly key: string | null;
  readonly state: SettledState;
  readonly reasons?: readonly Reason[];
  readonly attempts?: number;
  readonly note?: string;
  readonly known?: boolean;
  readonly refused?: boolean;
}

/** What the reader learns of a page it enqueued. */
export type PageResult =
  | {
      readonly pageNo: number;
      readonly status: 'settled';
      /** One per record, in the page's order. */
      readonly outcomes: readonly RecordOutcome[];
      /** The lowest cursor of a record that failed without being refused (read it again next time). */
      readonly retryFrom: CursorValue | null;
    }
  | {
      readonly pageNo: number;
      /** The run stopped before anyone took it: it is read again by the next run. */
      readonly status: 'cancelled';
    }
  | {
      readonly pageNo: number;
      readonly status: 'failed';
      /** What stopped the process that had the page (credentials refused, the destination gone). */
      readonly error: { readonly code: string; readonly message: string };
    };

/** A page as the reader enqueues it. */
export interface PageToSend {
  /** Its place in the run, from 1. */
  readonly pageNo: number;
  readonly records: readonly QueuedRecord[];
  /** The source's checkpoint after this page, stored with it. */
  readonly next: Checkpoint | null;
  /** Look records the ledger does not know up before their first send (see RecordContext.lookupUnknown). */
  readonly lookupUnknown: boolean;
  /** A record read again in the run is compared with what its first copy delivered (a sync). */
  readonly comparesRepeats: boolean;
}

/**
 * The pages of one run, as its reader sees them: enqueued durably, taken by any worker, and reported back
 * once settled. The checkpoint is the reader's to save (it holds the run lock); the queue only moves pages.
 */
export interface RunPages {
  /** The queue's name: one per integration and fingerprint of what its pages are sent with. */
  readonly queue: string;
  /**
   * Cancels the unsettled pages of earlier runs of the integration and resolves once no process can still
   * be sending for them (their leases have run out): a key is never sent by two processes at once.
   */
  retireEarlierPages(): Promise<void>;
  /** Stores the page and its job in one transaction; resolves once both are durable. */
  enqueue(page: PageToSend): Promise<void>;
  /** Pages of this run settled, failed or cancelled since the last call, in no particular order. */
  finished(): Promise<PageResult[]>;
  /** How many `ferry worker` processes serve this queue now. */
  liveWorkers(): Promise<number>;
  /** Cancels the pages no process has taken yet (the run is stopping). */
  cancelWaiting(): Promise<void>;
  /** Deletes the run's pages (the run ended); their jobs are left to the queue's retention. */
  close(): Promise<void>;
}
