import pino from 'pino';
import { createLogger, type Logger } from '../observability/logger.ts';
import type { Progress } from '../observability/progress.ts';
import type { LineSink } from '../observability/redacting-stream.ts';
import type { LogLevel } from './options.ts';

/** Options for createRunOutput: the output flags of `ferry run`. */
export interface RunOutputOptions {
  readonly logLevel: LogLevel;
  readonly logFormat: 'json' | 'pretty' | 'auto';
  /** Every line, per-record detail included, as JSON lines appended to this file. */
  readonly logFile?: string;
  readonly maskPersonalData?: boolean;
  readonly integration: string;
  /** @default process.stderr */
  readonly stream?: NodeJS.WritableStream & { readonly isTTY?: boolean };
}

/** Where a run's output goes, decided once from the flags and whether stderr is a terminal. */
export interface RunOutput {
  /**
   * A person watches (stderr is a terminal and JSON was not asked for): a progress bar, run-level lines
   * above it, and a summary table at the end. Otherwise JSON lines only.
   */
  readonly human: boolean;
  /** Run-level lines: started, breaker state, signals, aborts, finished. */
  readonly logger: Logger;
  /**
   * Per-record and per-request lines (record quarantined/failed/delivered, retries, waits). On a
   * terminal they go only to --log-file unless the level is debug or trace; elsewhere with the rest.
   */
  readonly detailLogger: Logger;
  /** Where run-level lines are drawn on a terminal: above the bar while there is one. */
  attachProgress(progress: Progress | undefined): void;
  /** Flushes the log file. */
  close(): void;
}

const DETAIL_ON_TERMINAL: ReadonlySet<LogLevel> = new Set(['debug', 'trace']);

/** Creates the loggers of one run; see RunOutput for what goes where. */
export function createRunOutput(options: RunOutputOptions): RunOutput {
  const stream = options.stream ?? process.stderr;
  const human = stream.isTTY === true && options.logFormat !== 'json';
  const file = options.logFile
    ? pino.destination({ dest: options.logFile, sync: true, mkdir: true, append: true })
    : undefined;
  let progress: Progress | undefined;
  const terminal: LineSink = {
    write: (text) => (progress ? progress.log(text) : stream.write(text)),
    isTTY: stream.isTTY === true,
  };
  const common = {
    level: options.logLevel,
    maskPersonalData: options.maskPersonalData === true,
    base: { integration: options.integration },
  };
  const logger = createLogger({
    ...common,
    format: options.logFormat,
    destination: terminal,
    ...(file ? { copyTo: file } : {}),
  });
  const detailLogger =
    !human || DETAIL_ON_TERMINAL.has(options.logLevel)
      ? logger
      : file
        ? createLogger({ ...common, format: 'json', destination: file })
        : createLogger({ ...common, level: 'silent' });
  return {
    human,
    logger,
    detailLogger,
    attachProgress(next) {
      progress = next;
    },
    close() {
      file?.flushSync();
      file?.end();
    },
  };
}
