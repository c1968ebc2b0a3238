import type { RunObserver as EngineObserver } from '../engine/engine-types.ts';
import type { Logger } from '../observability/logger.ts';
import { createProgress, type Progress } from '../observability/progress.ts';
import { combineObservers, type RunObserver } from '../observability/run-observer.ts';
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
  stopProgress(): void;
}

/**
 * Wires the engine's events to metrics, the run reporter, progress and logs. The reporter is created when
 * the ledger has given the run its id; events before that (none reach the network) only go to metrics.
 */
export function createRunTelemetry(options: {
  integration: string;
  logger: Logger;
  /** Prometheus metrics when something will scrape them (--metrics-port); the report is fed either way. */
  metrics?: RunObserver;
  showProgress: boolean;
}): RunTelemetry {
  let reporter: RunReporter | undefined;
  let logger = options.logger;
  let progress: Progress | undefined;
  let sourceTotal: number | undefined;
  const forwardToReporter: RunObserver = {
    recordState: (s, c) => reporter?.recordState(s, c),
    httpResponse: (o) => reporter?.httpResponse(o),
    retry: (e) => reporter?.retry(e),
    rateLimited: (e) => reporter?.rateLimited(e),
    tokenRefresh: (e) => reporter?.tokenRefresh(e),
    breakerState: (e) => {
      reporter?.breakerState(e);
      logger.warn({ endpoint: e.endpoint, breaker: e.state }, `circuit breaker ${e.state}`);
    },
    limiterWait: (e) => reporter?.limiterWait(e),
    rate: (e) => reporter?.rate(e),
    inFlight: (n) => reporter?.inFlight(n),
    deadLetter: (l) => reporter?.deadLetter(l),
  };
  const observer = options.metrics ? combineObservers(options.metrics, forwardToReporter) : forwardToReporter;

  // Every 64th event is plenty for a bar redrawn a few times a second, and spares a copy per record.
  let events = 0;
  const updateProgress = () => {
    if (progress && reporter && (++events & 63) === 0) progress.update(reporter.counts());
  };

  const engineObserver: EngineObserver = {
    onRunStarted({ runId, startedAt, recoveredRuns }) {
      reporter = createRunReporter({ runId, integration: options.integration, startedAt });
      logger = options.logger.child({ runId });
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
    onRecordRead() {
      observer.recordState('read');
      // Created on the first record, when the first page has said whether the source knows its total.
      if (options.showProgress && !progress) {
        progress = createProgress({
          isTTY: process.stderr.isTTY === true,
          logger,
          ...(sourceTotal === undefined ? {} : { total: sourceTotal }),
        });
      }
      updateProgress();
    },
    onRecordSettled(event) {
      observer.recordState(event.state);
      if (event.known) {
        // Reported once, when it was new; a scheduled job's log should show what changed.
        logger.info(
          { recordKey: event.key ?? '(no key)', state: event.state },
          `record still ${event.state === 'failed' ? 'failing' : event.state}, as in an earlier run`,
        );
      } else if ((event.state === 'quarantined' || event.state === 'failed') && event.reasons) {
        const key = event.key ?? '(no key)';
        observer.deadLetter({ key, state: event.state, reasons: event.reasons });
        logger.warn({ recordKey: key, state: event.state, reasons: event.reasons }, `record ${event.state}`);
      } else if (logger.isLevelEnabled('debug')) {
        logger.debug(
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
    stopProgress: () => {
      if (progress && reporter) progress.update(reporter.counts());
      progress?.stop();
    },
  };
}
