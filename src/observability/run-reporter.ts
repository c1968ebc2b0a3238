import type { Checkpoint } from '../core/connector-types.ts';
import type { Reason, RunStatus } from '../core/ledger-types.ts';
import { redactValue } from '../core/secret-registry.ts';
import { createLatencyHistogram, type LatencyHistogram, type LatencySummary } from './latency-histogram.ts';
import type { CountedState, RunObserver } from './run-observer.ts';
import { createTimelineCollector, type RunTimeline } from './run-timeline.ts';

/** Record counts of a run. */
export type RunCounts = Record<CountedState, number>;

/** HTTP figures of one endpoint. */
export interface EndpointReport {
  readonly requests: number;
  /** Attempts by status ("200", "429", "error"). */
  readonly byStatus: Record<string, number>;
  readonly retries: number;
  readonly rateLimited: number;
  readonly latencyMs: LatencySummary;
}

/** The limit on records in flight over a run. */
export interface ConcurrencyReport {
  /** The destination endpoint it limits. */
  readonly endpoint: string;
  /** True when the limit followed the destination's latency and push-back. */
  readonly adaptive: boolean;
  readonly initial: number;
  readonly final: number;
  readonly lowest: number;
  readonly highest: number;
  /** The limit's mean over the run, weighted by how long each value held. */
  readonly mean: number;
  /** Changes by reason: "probe" (raised), "latency" and "overload" (cut), "baseline" (measuring), "background" (a cut undone). */
  readonly changes: Record<string, number>;
  /** [ms since the run started, limit] at the start and each change; the first `MAX_TIMELINE` of them. */
  readonly timeline: readonly (readonly [number, number])[];
  /** Changes left out of the timeline. */
  readonly timelineOmitted: number;
}

/** One dead-lettered record as listed in the report. */
export interface ReportedDeadLetter {
  readonly key: string;
  readonly state: 'quarantined' | 'failed';
  readonly reasons: readonly Reason[];
}

/** Which ledger a run kept its state in, and whether it started that ledger. */
export interface LedgerReport {
  /** The state directory. */
  readonly path: string;
  /** The rule that chose it: "--state", "FERRY_STATE", "state: in <file>" or "beside <file>". */
  readonly chosenBy: string;
  /** True when the run found no earlier state of its integration there. */
  readonly new: boolean;
  /** Said when `new`: "no ledger found at X: starting a new one". */
  readonly note?: string;
}

/** The run report: what `--report` writes and `ferry runs show` prints. */
export interface RunReport {
  readonly runId: string;
  readonly integration: string;
  readonly status: RunStatus;
  readonly startedAt: string;
  readonly endedAt: string | null;
  readonly durationMs: number;
  readonly counts: RunCounts;
  /** Settled records (delivered + skipped + quarantined + failed) per second of the run. */
  readonly ratePerSec: number;
  readonly http: Record<string, EndpointReport>;
  readonly retries: number;
  readonly rateLimited: number;
  readonly tokenRefreshes: number;
  /** The limit on records in flight, when the destination reported one. */
  readonly concurrency?: ConcurrencyReport;
  /**
   * Problems already known from earlier runs: records quarantined or failed exactly as before, whose dead
   * letter is still open. They are in `counts` but not in `deadLetters`, and alone do not make exit code 1.
   */
  readonly known: { readonly stillQuarantined: number; readonly stillFailed: number };
  readonly deadLetters: {
    /** New dead letters of this run. */
    readonly total: number;
    /** Dead-lettered records per reason code (a record counts once per code). */
    readonly byReason: Record<string, number>;
    /** Dead-lettered records per field (a record counts once per field). */
    readonly byField: Record<string, number>;
    /** The first `maxListedDeadLetters` records, in the order they were dead-lettered. */
    readonly records: readonly ReportedDeadLetter[];
    /** How many more were dead-lettered than are listed. */
    readonly omitted: number;
  };
  readonly checkpoint: Checkpoint | null;
  /** Records settled, retries and 429s over time (absent from reports of ferry before 0.2). */
  readonly timeline?: RunTimeline;
  /** Set by the CLI, which chose the ledger. */
  readonly ledger?: LedgerReport;
}

/** Options for createRunReporter. */
export interface RunReporterOptions {
  readonly runId: string;
  readonly integration: string;
  /** RFC 3339. */
  readonly startedAt: string;
  /** Milliseconds since the epoch. @default Date.now */
  readonly clock?: () => number;
  /** @default 1000 */
  readonly maxListedDeadLetters?: number;
}

/** Collects a run's figures in bounded memory and produces its report. */
export interface RunReporter extends RunObserver {
  /** Remembers the checkpoint the run last saved (null: the source was read to its end). */
  checkpoint(checkpoint: Checkpoint | null): void;
  /** Current record counts (a copy), e.g. for the progress display. */
  counts(): RunCounts;
  /** Retried requests so far, e.g. for the progress display. */
  retries(): number;
  /** The limit on records in flight now, when known, e.g. for the progress display. */
  currentConcurrencyLimit(): number | undefined;
  /**
   * Ends the run. Without a status: 'completed', or 'completed_with_errors' when any record was
   * quarantined or failed.
   */
  finish(options?: {
    readonly status?: RunStatus;
    readonly endedAt?: string;
    readonly known?: { readonly stillQuarantined: number; readonly stillFailed: number };
  }): RunReport;
  /** The report as it stands (status 'running' until finish()), every string redacted. */
  toJSON(): RunReport;
}

const MAX_ENDPOINTS = 32;
const MAX_TIMELINE = 1000;
const MAX_BREAKDOWN_KEYS = 1000;
const MAX_MESSAGE_CHARS = 1000;

interface EndpointStats {
  requests: number;
  byStatus: Map<string, number>;
  retries: number;
  rateLimited: number;
  latency: LatencyHistogram;
}

function bump(map: Map<string, number>, key: string, limit = MAX_BREAKDOWN_KEYS): void {
  const k = map.has(key) || map.size < limit ? key : 'other';
  map.set(k, (map.get(k) ?? 0) + 1);
}

function clip(text: string): string {
  return text.length > MAX_MESSAGE_CHARS ? `${text.slice(0, MAX_MESSAGE_CHARS)}…` : text;
}

/** Creates the collector of one run's report; feed it as a RunObserver (often via combineObservers). */
export function createRunReporter(options: RunReporterOptions): RunReporter {
  const clock = options.clock ?? Date.now;
  const maxListed = options.maxListedDeadLetters ?? 1000;
  const startedMs = Date.parse(options.startedAt);
  const counts: RunCounts = { read: 0, delivered: 0, skipped: 0, quarantined: 0, failed: 0 };
  const endpoints = new Map<string, EndpointStats>();
  const byReason = new Map<string, number>();
  const byField = new Map<string, number>();
  const listed: ReportedDeadLetter[] = [];
  let deadLetterTotal = 0;
  let retries = 0;
  let rateLimited = 0;
  let tokenRefreshes = 0;
  let lastCheckpoint: Checkpoint | null = null;
  let status: RunStatus = 'running';
  let endedAt: string | null = null;
  let known = { stillQuarantined: 0, stillFailed: 0 };
  const timeline = createTimelineCollector({
    startedMs: Number.isFinite(startedMs) ? startedMs : clock(),
    clock,
  });
  let concurrency:
    | {
        endpoint: string;
        adaptive: boolean;
        initial: number;
        current: number;
        since: number;
        lowest: number;
        highest: number;
        weighted: number;
        changes: Map<string, number>;
        timeline: Array<readonly [number, number]>;
        omitted: number;
      }
    | undefined;
  const sinceStart = (at: number) => (Number.isFinite(startedMs) ? Math.max(0, at - startedMs) : 0);
  const concurrencyReport = (c: NonNullable<typeof concurrency>, endMs: number): ConcurrencyReport => {
    const total = sinceStart(endMs);
    const held = Math.max(0, total - c.since);
    return {
      endpoint: c.endpoint,
      adaptive: c.adaptive,
      initial: c.initial,
      final: c.current,
      lowest: c.lowest,
      highest: c.highest,
      mean: total > 0 ? Math.round(((c.weighted + c.current * held) / total) * 10) / 10 : c.current,
      changes: Object.fromEntries(c.changes),
      timeline: c.timeline.map((point) => [...point] as const),
      timelineOmitted: c.omitted,
    };
  };

  const endpointStats = (name: string): EndpointStats => {
    const key = endpoints.has(name) || endpoints.size < MAX_ENDPOINTS ? name : 'other';
    let stats = endpoints.get(key);
    if (!stats) {
      stats = {
        requests: 0,
        byStatus: new Map(),
        retries: 0,
        rateLimited: 0,
        latency: createLatencyHistogram(),
      };
      endpoints.set(key, stats);
    }
    return stats;
  };

  const build = (): RunReport => {
    const endMs = endedAt === null ? clock() : Date.parse(endedAt);
    const durationMs = Number.isFinite(startedMs) ? Math.max(0, endMs - startedMs) : 0;
    const settled = counts.delivered + counts.skipped + counts.quarantined + counts.failed;
    const http: Record<string, EndpointReport> = {};
    for (const [name, s] of endpoints) {
      http[name] = {
        requests: s.requests,
        byStatus: Object.fromEntries(s.byStatus),
        retries: s.retries,
        rateLimited: s.rateLimited,
        latencyMs: s.latency.summary(),
      };
    }
    return redactValue({
      runId: options.runId,
      integration: options.integration,
      status,
      startedAt: options.startedAt,
      endedAt,
      durationMs,
      counts: { ...counts },
      ratePerSec: durationMs > 0 ? Math.round((settled / (durationMs / 1000)) * 10) / 10 : 0,
      http,
      retries,
      rateLimited,
      tokenRefreshes,
      ...(concurrency ? { concurrency: concurrencyReport(concurrency, endMs) } : {}),
      known: { ...known },
      deadLetters: {
        total: deadLetterTotal,
        byReason: Object.fromEntries(byReason),
        byField: Object.fromEntries(byField),
        records: listed.map((r) => ({ ...r, reasons: [...r.reasons] })),
        omitted: deadLetterTotal - listed.length,
      },
      checkpoint: lastCheckpoint,
      timeline: timeline.toJSON(),
    });
  };

  return {
    recordState(state, count = 1) {
      counts[state] += count;
      if (state !== 'read') {
        timeline.settled(state === 'quarantined' || state === 'failed', count);
      }
    },
    httpResponse({ endpoint, status: code, durationMs }) {
      const s = endpointStats(endpoint);
      s.requests++;
      bump(s.byStatus, typeof code === 'number' ? String(code) : 'error', 100);
      s.latency.record(durationMs);
      if (code === 429) {
        s.rateLimited++;
        rateLimited++;
        timeline.rateLimited();
      }
    },
    retry({ endpoint }) {
      endpointStats(endpoint).retries++;
      retries++;
      timeline.retry();
    },
    rateLimited({ endpoint }) {
      endpointStats(endpoint).rateLimited++;
      rateLimited++;
      timeline.rateLimited();
    },
    tokenRefresh() {
      tokenRefreshes++;
    },
    breakerState() {
      // The report keeps totals; the breaker's moment-to-moment state is a metric and a log line.
    },
    limiterWait() {},
    rate() {},
    inFlight() {},
    concurrencyLimit(event) {
      const at = sinceStart(clock());
      if (!concurrency || event.reason === 'initial') {
        concurrency = {
          endpoint: event.endpoint,
          adaptive: event.adaptive,
          initial: event.limit,
          current: event.limit,
          since: at,
          lowest: event.limit,
          highest: event.limit,
          weighted: event.limit * at,
          changes: new Map(),
          timeline: [[at, event.limit]],
          omitted: 0,
        };
        return;
      }
      const c = concurrency;
      c.weighted += c.current * Math.max(0, at - c.since);
      c.current = event.limit;
      c.since = at;
      c.lowest = Math.min(c.lowest, event.limit);
      c.highest = Math.max(c.highest, event.limit);
      bump(c.changes, event.reason, 10);
      if (c.timeline.length < MAX_TIMELINE) c.timeline.push([at, event.limit]);
      else c.omitted++;
    },
    currentConcurrencyLimit: () => concurrency?.current,
    deadLetter({ key, state, reasons }) {
      deadLetterTotal++;
      for (const code of new Set(reasons.map((r) => r.code))) bump(byReason, code);
      for (const field of new Set(reasons.flatMap((r) => (r.field === undefined ? [] : [r.field])))) {
        bump(byField, field);
      }
      if (listed.length < maxListed) {
        listed.push({
          key,
          state,
          reasons: reasons.map((r) => ({ ...r, message: clip(r.message) })),
        });
      }
    },
    checkpoint(checkpoint) {
      lastCheckpoint = checkpoint;
    },
    counts: () => ({ ...counts }),
    retries: () => retries,
    finish(finishOptions = {}) {
      status =
        finishOptions.status ??
        (counts.quarantined + counts.failed > 0 ? 'completed_with_errors' : 'completed');
      endedAt = finishOptions.endedAt ?? new Date(clock()).toISOString();
      if (finishOptions.known) known = { ...finishOptions.known };
      return build();
    },
    toJSON: build,
  };
}
