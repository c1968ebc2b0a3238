import cliProgress from 'cli-progress';
import type { RunCounts } from './run-reporter.ts';

/** What the progress display needs to log when it is not drawing a bar (a pino Logger fits). */
export interface ProgressLogger {
  info(obj: Record<string, unknown>, msg: string): void;
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
  update(counts: RunCounts): void;
  /** Removes the bar or logs the last line; further calls do nothing. */
  stop(): void;
}

function settledOf(c: RunCounts): number {
  return c.delivered + c.skipped + c.quarantined + c.failed;
}

/** Creates a progress bar on a terminal, or periodic `progress` log lines elsewhere. */
export function createProgress(options: ProgressOptions): Progress {
  const clock = options.clock ?? Date.now;
  const started = clock();
  let counts: RunCounts = { read: 0, delivered: 0, skipped: 0, quarantined: 0, failed: 0 };
  let stopped = false;

  const ratePerSec = (): number => {
    const seconds = (clock() - started) / 1000;
    return seconds > 0 ? Math.round((settledOf(counts) / seconds) * 10) / 10 : 0;
  };

  if (options.isTTY) {
    const known = options.total !== undefined && options.total > 0;
    const tail = '{rate} rec/s | delivered {delivered} | quarantined {quarantined} | failed {failed}';
    const bar = new cliProgress.SingleBar(
      {
        stream: options.stream ?? process.stderr,
        format: known
          ? `ferry [{bar}] {percentage}% | {value}/{total} | ${tail} | ETA {eta_formatted}`
          : `ferry {value} records settled | ${tail}`,
        hideCursor: true,
        clearOnComplete: false,
        etaBuffer: 100,
        fps: 5,
      },
      cliProgress.Presets.shades_classic,
    );
    const payload = () => ({
      rate: ratePerSec(),
      delivered: counts.delivered,
      quarantined: counts.quarantined,
      failed: counts.failed,
    });
    bar.start(known ? (options.total ?? 0) : 0, 0, payload());
    return {
      update(next) {
        if (stopped) return;
        counts = { ...next };
        bar.update(settledOf(counts), payload());
      },
      stop() {
        if (stopped) return;
        stopped = true;
        bar.update(settledOf(counts), payload());
        bar.stop();
      },
    };
  }

  let lastLogged = -1;
  const log = (): void => {
    lastLogged = counts.read + settledOf(counts);
    options.logger.info({ ...counts, ratePerSec: ratePerSec() }, 'progress');
  };
  const timer = setInterval(log, options.intervalMs ?? 5000);
  // A progress timer must never keep a finished process alive.
  timer.unref();
  return {
    update(next) {
      if (!stopped) counts = { ...next };
    },
    stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      if (lastLogged !== counts.read + settledOf(counts)) log();
    },
  };
}
