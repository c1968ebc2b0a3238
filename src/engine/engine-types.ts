import type { ConcurrencyLimit } from '../core/concurrency-limit.ts';
import type { Checkpoint, SinkConnector, SourceConnector } from '../core/connector-types.ts';
import type { FerryError } from '../core/errors.ts';
import type { Ledger, Reason, RunStatus } from '../core/ledger-types.ts';

/** The final states a source record can end in. */
export type FinalState = 'delivered' | 'skipped' | 'quarantined' | 'failed';

/** What the engine needs of a compiled mapping (src/mapping implements it). */
export interface RecordMapper {
  /** The record key, or ok:false when the record has none (it will be quarantined). */
  keyOf(record: unknown): Promise<{ readonly ok: true; readonly key: string } | { readonly ok: false }>;
  apply(record: unknown, bindings: { firstMappedAt: string }): Promise<MappingResult>;
  /**
   * Dot paths of body fields that are `$firstMappedAt` as is: a lookup that finds the record gives back the
   * first delivery's time, which a new ledger then keeps.
   */
  readonly firstMappedAtFields?: readonly string[];
  /** True when the source marks the record deleted (the mapping's `deleted` predicate); absent: never. */
  isDeleted?(record: unknown): Promise<boolean>;
}

/** The result of mapping one record: a body to send, or the reasons it cannot be sent. */
export type MappingResult =
  | { readonly ok: true; readonly key: string; readonly body: Record<string, unknown> }
  | {
      readonly ok: false;
      readonly key: string | null;
      readonly stage: 'input' | 'mapping' | 'output';
      readonly reasons: readonly Reason[];
    };

/** Counts of record fates in one run. */
export interface RunCounts {
  read: number;
  delivered: number;
  skipped: number;
  quarantined: number;
  failed: number;
  /** Of the quarantined, those quarantined before with the same content, their dead letter still open. */
  stillQuarantined: number;
  /** Of the failed, those that failed before with the same body, their dead letter still open. */
  stillFailed: number;
}

/** Hooks the CLI wires to progress, metrics, logs and the report; the engine knows none of those. */
export interface RunObserver {
  /** The run is registered in the ledger; `recoveredRuns` are crashed runs found and closed. */
  onRunStarted?(run: {
    readonly runId: string;
    readonly startedAt: string;
    readonly recoveredRuns: readonly string[];
  }): void;
  /** The source announced how many records a full read holds (only reported when reading from the start). */
  onSourceTotal?(total: number): void;
  /** A source record was taken into the pipeline (called once per record). */
  onRecordRead?(pageNumber: number): void;
  onRecordSettled?(event: {
    readonly key: string | null;
    readonly state: FinalState;
    readonly reasons?: readonly Reason[];
    readonly attempts?: number;
    readonly note?: string;
    /** A known problem: quarantined or failed as before, no new dead letter. */
    readonly known?: boolean;
  }): void;
  onCheckpoint?(pageNumber: number, next: Checkpoint | null): void;
  /** A complete read held another number of records than the source announced (with onTotalMismatch "warn"). */
  onSourceTotalMismatch?(event: { readonly expected: number; readonly read: number }): void;
  onInFlight?(count: number): void;
}

/** Everything one run needs, already built and configured. */
export interface RunOptions {
  readonly integration: string;
  readonly source: SourceConnector;
  readonly sink: SinkConnector;
  readonly mapper: RecordMapper;
  readonly ledger: Ledger;
  /** Records sent at once: a number, or a limit that moves while the run goes (the slots follow it). */
  readonly concurrency: number | ConcurrencyLimit;
  /** Stop after this many source records. */
  readonly limit?: number;
  /** Aborting it stops reading; in-flight records finish. */
  readonly stopSignal?: AbortSignal;
  /** Aborting it abandons in-flight requests too (they stay in_flight in the ledger and are reconciled later). */
  readonly abortSignal?: AbortSignal;
  readonly observer?: RunObserver;
  readonly clock?: () => Date;
  /** Stops the run early when too many records are quarantined. @default no limit */
  readonly quarantineLimit?: QuarantineLimit;
}

/** When a run stops because its records are mostly quarantined. */
export interface QuarantineLimit {
  /** The largest share of settled records (0 to 1) that may be quarantined; 1 never stops. */
  readonly maxRatio: number;
  /** The ratio is judged only once at least this many records have settled. */
  readonly minSample: number;
}

/** How a run ended. */
export interface RunResult {
  readonly runId: string;
  readonly status: RunStatus;
  readonly counts: RunCounts;
  readonly startedAt: string;
  readonly endedAt: string;
  /** Where the next run resumes, or null when the source was read to its end. */
  readonly checkpoint: Checkpoint | null;
  /** Why the run aborted, when it did. */
  readonly error?: FerryError;
  /** Runs left 'running' by a killed process, found and marked crashed at start. */
  readonly recoveredRuns: readonly string[];
}
