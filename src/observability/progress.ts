import { createRequire } from 'node:module';
import type CliProgress from 'cli-progress';
import { formatDuration } from '../core/duration.ts';
import type { RunCounts } from './run-reporter.ts';

/** What the progress display needs to log when it is not drawing a bar (a pino Logger fits). */
export interface ProgressLogger {
  info(obj: Record<string, unknown>, msg: string): void;
}

/** The figures the progress display shows: record counts and the retries so far. */
export interface ProgressFigures extends RunCounts {
  readonly retries?: number;
  /** The limit on records in flight now (it moves when adaptive). */
  readonly concurrencyLimit?: number;
}

/** Options for createProgress. */
export interface ProgressOptions {
  /** Records expected, when the source says; otherwise a running count is shown. */
  readonly total?: number;
  /** Draw a bar (a terminal) or log a line every intervalMs (CI, files, pipes). */
  readonly isTTY: boolean;
  /** @default process.stderr (stdout stays free for JSON output) */
  readonly stream?: NodeJS.WritableStream;
  readonly logger: ProgressLogger;
  /** @default 5000 */
  readonly intervalMs?: number;
  /** Milliseconds since the epoch, for the rate. @default Date.now */
  readonly clock?: () => number;
}

/** Shows how a run is going. */
export interface Progress {
  /** Takes the latest counts; cheap enough to call per record. */
  update(figures: ProgressFigures): void;
  /**
   * Writes finished text lines above the bar (on a terminal), so they are never torn by a redraw;
   * elsewhere straight to the stream.
   */
  log(text: string): void;
  /** Removes the bar or logs the last line; further calls do nothing. */
  stop(): void;
}

function settledOf(c: RunCounts): number {
  return c.delivered + c.skipped + c.quarantined + c.failed;
}

// Before this much of the run has passed, or this few records settled, a rate (and so an ETA) is noise.
const MIN_ETA_ELAPSED_MS = 3000;
const MIN_ETA_SETTLED = 20;

/** Creates a progress bar on a terminal, or periodic `progress` log lines elsewhere. */
export function createProgress(options: ProgressOptions): Progress {
  const clock = options.clock ?? Date.now;
  const started = clock();
  let figures: ProgressFigures = { read: 0, delivered: 0, skipped: 0, quarantined: 0, failed: 0 };
  let stopped = false;
  const stream = options.stream ?? process.stderr;

  const ratePerSec = (): number => {
    const seconds = (clock() - started) / 1000;
    return seconds > 0 ? Math.round((settledOf(figures) / seconds) * 10) / 10 : 0;
  };

  if (options.isTTY) {
    const total = options.total !== undefined && options.total > 0 ? options.total : undefined;
    // Not cli-progress's own {eta}, which shows "0s" before the first record has settled.
    const eta = (): string => {
      const elapsed = clock() - started;
      const settled = settledOf(figures);
      if (total === undefined || elapsed < MIN_ETA_ELAPSED_MS || settled < MIN_ETA_SETTLED) return '…';
      return formatDuration(((total - settled) / settled) * elapsed);
    };
    const tail =
      '{rate} rec/s | delivered {delivered} | skipped {skipped} | quarantined {quarantined} | ' +
      'failed {failed} | retries {retries} | in flight ≤ {limit}';
    // Loaded for a terminal's bar only; elsewhere progress is a log line.
    const cliProgress = createRequire(import.meta.url)('cli-progress') as typeof CliProgress;
    const bars = new cliProgress.MultiBar(
      {
        stream,
        format: total
          ? `ferry [{bar}] {percentage}% | {value}/{total} | ${tail} | ETA {remaining}`
          : `ferry {value} records settled | ${tail}`,
        barsize: 24,
        hideCursor: true,
        clearOnComplete: false,
        fps: 5,
      },
      cliProgress.Presets.shades_classic,
    );
    const payload = () => ({
      rate: ratePerSec(),
      delivered: figures.delivered,
      skipped: figures.skipped,
      quarantined: figures.quarantined,
      failed: figures.failed,
      retries: figures.retries ?? 0,
      limit: figures.concurrencyLimit ?? '…',
      remaining: eta(),
    });
    const bar = bars.create(total ?? 0, 0, payload());
    return {
      update(next) {
        if (stopped) return;
        figures = { ...next };
        bar.update(settledOf(figures), payload());
      },
      log(text) {
        if (stopped) stream.write(text);
        else bars.log(text);
      },
      stop() {
        if (stopped) return;
        stopped = true;
        bar.update(settledOf(figures), { ...payload(), remaining: '0s' });
        // Draws the lines still waiting for a redraw: stop() alone would drop them.
        bars.update();
        bars.stop();
      },
    };
  }

  let lastLogged = -1;
  const log = (): void => {
    lastLogged = figures.read + settledOf(figures);
    const { read, delivered, skipped, quarantined, failed, concurrencyLimit } = figures;
    options.logger.info(
      {
        read,
        delivered,
        skipped,
        quarantined,
        failed,
        ratePerSec: ratePerSec(),
        ...(concurrencyLimit === undefined ? {} : { concurrencyLimit }),
      },
      'progress',
    );
  };
  const timer = setInterval(log, options.intervalMs ?? 5000);
  // A progress timer must never keep a finished process alive.
  timer.unref();
  return {
    update(next) {
      if (!stopped) figures = { ...next };
    },
    log(text) {
      stream.write(text);
    },
    stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      if (lastLogged !== figures.read + settledOf(figures)) log();
    },
  };
}
