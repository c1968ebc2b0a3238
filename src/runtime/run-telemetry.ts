import { formatDuration } from '../core/duration.ts';
import type { RunObserver as EngineObserver } from '../engine/engine-types.ts';
import type { Logger } from '../observability/logger.ts';
import { createProgress, type Progress } from '../observability/progress.ts';
import { type BreakerState, combineObservers, type RunObserver } from '../observability/run-observer.ts';
import { createRunReporter, type RunReporter } from '../observability/run-reporter.ts';

/** Everything that watches one run: metrics, the report, progress and logs, fed from the engine's events. */
export interface RunTelemetry {
  /** For the HTTP stack and auth (metrics and report). */
  readonly observer: RunObserver;
  /** For the engine. */
  readonly engineObserver: EngineObserver;
  /** The report collector; exists once the run has started. */
  reporter(): RunReporter | undefined;
  /** The run's logger (carries runId once started). */
  logger(): Logger;
  /** The logger for per-record and per-request lines (carries runId once started). */
  detailLogger(): Logger;
  stopProgress(): void;
}

/** A breaker line that says what happens now and, while paused, when the run will give up. */
export function breakerMessage(
  event: { readonly endpoint: string; readonly state: BreakerState; readonly givesUpAt?: number },
  now: number,
): string {
  const { endpoint, state, givesUpAt } = event;
  if (state === 'closed') return `circuit breaker closed: ${endpoint} requests resume`;
  const doing =
    state === 'open'
      ? `circuit breaker open: ${endpoint} requests paused`
      : `circuit breaker half_open: one probe request to the ${endpoint}`;
  if (givesUpAt === undefined) return doing;
  const clockTime = new Date(givesUpAt).toTimeString().slice(0, 8);
  return `${doing}; gives up at ${clockTime} (in ${formatDuration(Math.max(0, givesUpAt - now))}) unless it recovers`;
}

/**
 * Wires the engine's events to metrics, the run reporter, progress and logs. The reporter is created when
 * the ledger has given the run its id; events before that (none reach the network) only go to metrics.
 */
export function createRunTelemetry(options: {
  integration: string;
  logger: Logger;
  /** Per-record and per-request lines; see RunOutput. @default logger */
  detailLogger?: Logger;
  /** Draw a bar (true) or log progress lines. @default process.stderr.isTTY */
  terminal?: boolean;
  /** Where the bar is drawn. @default process.stderr */
  stream?: NodeJS.WritableStream;
  /** Told about the bar once it exists, so log lines are drawn above it. */
  onProgress?: (progress: Progress) => void;
  /** Prometheus metrics when something will scrape them (--metrics-port); the report is fed either way. */
  metrics?: RunObserver;
  showProgress: boolean;
  /** Milliseconds since the epoch, for "gives up in". @default Date.now */
  clock?: () => number;
}): RunTelemetry {
  const clock = options.clock ?? Date.now;
  let reporter: RunReporter | undefined;
  let logger = options.logger;
  const baseDetailLogger = options.detailLogger ?? options.logger;
  let detailLogger = baseDetailLogger;
  let progress: Progress | undefined;
  let sourceTotal: number | undefined;
  let initialConcurrency: Parameters<RunObserver['concurrencyLimit']>[0] | undefined;
  const forwardToReporter: RunObserver = {
    recordState: (s, c) => reporter?.recordState(s, c),
    httpResponse: (o) => reporter?.httpResponse(o),
    retry: (e) => reporter?.retry(e),
    rateLimited: (e) => reporter?.rateLimited(e),
    tokenRefresh: (e) => reporter?.tokenRefresh(e),
    breakerState: (e) => {
      reporter?.breakerState(e);
      logger.warn(
        {
          endpoint: e.endpoint,
          breaker: e.state,
          ...(e.givesUpAt ? { givesUpAt: new Date(e.givesUpAt).toISOString() } : {}),
        },
        breakerMessage(e, clock()),
      );
    },
    limiterWait: (e) => reporter?.limiterWait(e),
    rate: (e) => reporter?.rate(e),
    inFlight: (n) => reporter?.inFlight(n),
    concurrencyLimit: (e) => {
      // The stack reports its first limit while it is built, before the run (and its reporter) starts.
      if (e.reason === 'initial') initialConcurrency = e;
      reporter?.concurrencyLimit(e);
    },
    deadLetter: (l) => reporter?.deadLetter(l),
  };
  const observer = options.metrics ? combineObservers(options.metrics, forwardToReporter) : forwardToReporter;

  // Every 64th event is plenty for a bar redrawn a few times a second, and spares a copy per record.
  let events = 0;
  const figures = (r: RunReporter) => {
    const limit = r.currentConcurrencyLimit();
    return {
      ...r.counts(),
      retries: r.retries(),
      ...(limit === undefined ? {} : { concurrencyLimit: limit }),
    };
  };
  const updateProgress = () => {
    if (progress && reporter && (++events & 63) === 0) progress.update(figures(reporter));
  };

  const engineObserver: EngineObserver = {
    onRunStarted({ runId, startedAt, recoveredRuns }) {
      reporter = createRunReporter({ runId, integration: options.integration, startedAt });
      if (initialConcurrency) reporter.concurrencyLimit(initialConcurrency);
      logger = options.logger.child({ runId });
      detailLogger = baseDetailLogger === options.logger ? logger : baseDetailLogger.child({ runId });
      if (recoveredRuns.length > 0) {
        logger.warn(
          { recoveredRuns },
          'earlier runs were killed before they finished; resuming from the ledger',
        );
      }
      logger.info('run started');
    },
    onSourceTotal(total) {
      sourceTotal = total;
    },
    onSourceTotalMismatch({ expected, read }) {
      logger.warn(
        { expected, read },
        `the source announced ${expected} records but the complete read returned ${read} (source.on_total_mismatch is warn)`,
      );
    },
    onRecordRead() {
      observer.recordState('read');
      // Created on the first record, when the first page has said whether the source knows its total.
      if (options.showProgress && !progress) {
        progress = createProgress({
          isTTY: options.terminal ?? process.stderr.isTTY === true,
          logger,
          ...(options.stream ? { stream: options.stream } : {}),
          ...(sourceTotal === undefined ? {} : { total: sourceTotal }),
        });
        options.onProgress?.(progress);
      }
      updateProgress();
    },
    onRecordSettled(event) {
      observer.recordState(event.state);
      if (event.known) {
        // Reported in full once, when it was new: a scheduled job's log should show what changed. Here it is
        // counted into the summary, and detailed only in --log-file or at a debug level.
        detailLogger.info(
          { recordKey: event.key ?? '(no key)', state: event.state },
          `record still ${event.state === 'failed' ? 'failing' : event.state}, as in an earlier run`,
        );
      } else if ((event.state === 'quarantined' || event.state === 'failed') && event.reasons) {
        const key = event.key ?? '(no key)';
        observer.deadLetter({ key, state: event.state, reasons: event.reasons });
        detailLogger.warn(
          { recordKey: key, state: event.state, reasons: event.reasons },
          `record ${event.state}`,
        );
      } else if (detailLogger.isLevelEnabled('debug')) {
        detailLogger.debug(
          { recordKey: event.key, state: event.state, attempts: event.attempts, note: event.note },
          `record ${event.state}`,
        );
      }
      updateProgress();
    },
    onCheckpoint(pageNumber, next) {
      reporter?.checkpoint(next);
      logger.debug({ page: pageNumber, next: next?.nextUrl ?? null }, 'checkpoint saved');
    },
    onInFlight: (count) => observer.inFlight(count),
  };

  return {
    observer,
    engineObserver,
    reporter: () => reporter,
    logger: () => logger,
    detailLogger: () => detailLogger,
    stopProgress: () => {
      if (progress && reporter) progress.update(figures(reporter));
      progress?.stop();
    },
  };
}
