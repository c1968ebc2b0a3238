import type { Ledger, RunStatus } from '../../core/ledger-types.ts';
import type { Logger } from '../../observability/logger.ts';
import type { RunReport } from '../../observability/run-reporter.ts';

/** Where an integration stands in the server. */
export type IntegrationState = 'idle' | 'running' | 'stopping' | 'replaying' | 'paused';

/** One side of an integration as the API shows it: never an option value that could hold a secret. */
export interface ConnectorSummary {
  /** The connector type (`rest`, `csv`, ...). */
  readonly type: string;
  /** The URL or path it reads or writes, with credentials and secret query parameters masked. */
  readonly endpoint: string | null;
  /** The auth type (`api_key`, `oauth2_client_credentials`, ...), or `none`. */
  readonly auth: string;
}

/** An integration's config as the API shows it: what it connects, never a credential. */
export interface IntegrationSummary {
  readonly file: string;
  readonly source: ConnectorSummary;
  readonly destination: ConnectorSummary;
  readonly mapping: string;
}

/** An integration as the server runs it. */
export interface IntegrationStatus {
  readonly name: string;
  readonly state: IntegrationState;
  /** In words (`every 30s`, `*\/5 * * * * Europe/Berlin`); null when it runs only when asked. */
  readonly schedule: string | null;
  /** RFC 3339; null when nothing is scheduled (no schedule, or paused). */
  readonly nextRunAt: string | null;
  /** The run going on now (a replay is a run too), if any. */
  readonly currentRunId: string | null;
  /** Whether events reach it at `POST /hooks/<name>`. */
  readonly webhook: boolean;
  readonly config: IntegrationSummary;
}

/** A replay of dead letters the server started, and how it ended. */
export interface ReplayStatus {
  readonly id: string;
  readonly integration: string;
  /** The dead letters it replays. */
  readonly ids: readonly number[];
  readonly state: 'running' | 'finished' | 'failed';
  readonly startedAt: string;
  readonly endedAt: string | null;
  /** The ledger run the replay became, once it started one. */
  readonly runId: string | null;
  readonly status: RunStatus | null;
  /** read (letters taken), delivered, skipped, quarantined, failed. */
  readonly counts: Readonly<Record<string, number>> | null;
  /** Why it failed, when it did (already free of secrets). */
  readonly error: string | null;
}

/** Record counts and rates of a run going on. */
export interface RunProgress {
  readonly integration: string;
  readonly runId: string;
  readonly counts: Readonly<Record<string, number>>;
  readonly retries: number;
  readonly rateLimited: number;
  readonly ratePerSec: number;
}

/** What the server tells the pages as it happens (server-sent events on `/api/events`). */
export type OperationsEvent =
  | { readonly type: 'integration'; readonly integration: IntegrationStatus }
  | {
      readonly type: 'run.started';
      readonly integration: string;
      readonly runId: string;
      readonly startedAt: string;
    }
  | ({ readonly type: 'run.progress' } & RunProgress)
  | {
      readonly type: 'run.finished';
      readonly integration: string;
      readonly runId: string;
      readonly status: RunStatus;
      readonly counts: Readonly<Record<string, number>>;
    }
  | { readonly type: 'replay.started' | 'replay.finished'; readonly replay: ReplayStatus };

/**
 * What the operations API needs of the server that runs integrations (`ferry serve`'s scheduler, or the
 * in-process harness of the tests): the integrations, their state and the actions on them.
 * Actions reject with FERRY_ERR_NOT_FOUND for an unknown integration and FERRY_ERR_BUSY when one
 * run of it goes on already.
 */
export interface IntegrationControl {
  list(): readonly IntegrationStatus[];
  get(name: string): IntegrationStatus | undefined;
  /** Starts a run now, whatever the schedule; resolves once the ledger gave it its id (null if not known). */
  runNow(name: string): Promise<{ readonly runId: string | null }>;
  /**
   * Stops starting scheduled runs (and runs on webhook events, which wait in the inbox until resumed); a
   * run going on goes on, and runNow still works.
   */
  pause(name: string): Promise<IntegrationStatus>;
  resume(name: string): Promise<IntegrationStatus>;
  /**
   * Stops the run going on gracefully: no more reading, records in flight settle, the checkpoint is saved.
   * Rejects with FERRY_ERR_NOT_FOUND when nothing runs.
   */
  stop(name: string): Promise<{ readonly runId: string }>;
  /** Starts replaying these dead letters of the integration through its current mapping and destination. */
  replay(name: string, ids: readonly number[]): Promise<ReplayStatus>;
  getReplay(id: string): ReplayStatus | undefined;
  /** The report of a run going on, as it stands; undefined once it ended (the ledger has it then). */
  liveReport(runId: string): RunReport | undefined;
  /** Calls `listener` with every event until the returned function is called. */
  subscribe(listener: (event: OperationsEvent) => void): () => void;
}

/** What the webhook inbox of one integration holds, and what reached it since the server started. */
export interface InboxSummary {
  readonly integration: string;
  /** Stored, not yet processed by a run (from the ledger). */
  readonly pending: number;
  /** RFC 3339 arrival of the oldest pending event; null when none is pending. */
  readonly oldestPendingAt: string | null;
  /** Events stored since `since` (redeliveries of a stored id not counted). */
  readonly received: number;
  /** Events runs processed since `since`; null when the server does not count them. */
  readonly processed: number | null;
  /** Deliveries refused since `since`, by reason (`signature`, `size`, `json`, `id`, `full`, `stale`, ...). */
  readonly refused: Readonly<Record<string, number>>;
  /** RFC 3339: when the counters started (the server's start). */
  readonly since: string;
}

/** The webhook inbox as `ferry serve` keeps it. */
export interface InboxView {
  summary(): Promise<readonly InboxSummary[]>;
}

/** A person who may sign in, with a password hash made by `ferry hash-password` (scrypt). */
export interface OperatorUser {
  readonly name: string;
  readonly passwordHash: string;
}

/** Who may use the API and the pages, and by which names the server is reached. */
export interface OperationsAccess {
  /** The address the server listens on; off loopback, authentication is required. */
  readonly host: string;
  /** Host names besides loopback and `host` that requests may name (a DNS name in front of ferry). */
  readonly allowedHosts?: readonly string[];
  /** A bearer token (API clients, and the sign-in page). */
  readonly token?: string;
  /** People signing in with a name and password. */
  readonly users?: readonly OperatorUser[];
  /** Mark cookies Secure (the pages are served over TLS, by ferry or a proxy). @default false */
  readonly secureCookies?: boolean;
}

/** What `registerOperations` needs. */
export interface OperationsDeps {
  readonly ledger: Ledger;
  readonly control: IntegrationControl;
  /** The webhook inbox, when the server has one. */
  readonly inbox?: InboxView;
  readonly access: OperationsAccess;
  /** Operator actions, unmasking and requests that failed are logged here. @default the app's logger */
  readonly logger?: Pick<Logger, 'info' | 'warn' | 'error'>;
}
