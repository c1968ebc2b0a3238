/** Where a source resumes: the next page's URL (and anything else the paginator needs), as plain JSON. */
export interface Checkpoint {
  readonly nextUrl: string;
  readonly pageNumber: number;
  readonly extra?: Readonly<Record<string, unknown>>;
}

/** One page of source records, with the checkpoint that resumes after it. */
export interface SourcePage {
  /** 1-based position of the page in this read. */
  readonly pageNumber: number;
  readonly url: string;
  readonly records: readonly unknown[];
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

/** Reads pages; knows its protocol and nothing about the pipeline. */
export interface SourceConnector {
  /** Streams pages lazily from `from` (or the start), so backpressure is simply not pulling. */
  readPages(options: { from: Checkpoint | null; signal: AbortSignal }): AsyncIterable<SourcePage>;
  close(): Promise<void>;
}

/** One mapped record ready to send. */
export interface OutgoingRecord {
  readonly key: string;
  readonly idempotencyKey: string;
  /** The JSON body, serialised once. */
  readonly body: string;
  readonly signal?: AbortSignal;
}

/** What became of one send, after all retries the sink is allowed. */
export type DeliveryOutcome =
  | {
      readonly state: 'delivered';
      readonly status: number;
      readonly attempts: number;
      readonly note?: string;
    }
  | {
      readonly state: 'failed';
      readonly status?: number;
      readonly attempts: number;
      readonly reason: string;
      readonly responseBody?: string;
      /**
       * The destination refused the idempotency key as used before with another body, and a lookup found
       * no record: nothing is stored under this key, so the body may be sent again under a new one.
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
  /** Present when the destination offers a lookup by key. */
  lookup?(record: OutgoingRecord): Promise<LookupResult>;
  close(): Promise<void>;
}
