import { Command, Option } from 'commander';
import { MAX_CONCURRENCY } from '../../config/limits.ts';
import { duration, integerInRange, LOG_LEVELS, type LogLevel } from '../options.ts';

/** Options of `ferry worker`, as commander parses them. */
export interface WorkerCommandOptions {
  state?: string;
  concurrency?: number;
  grace: number;
  logLevel: LogLevel;
  logFormat: 'json' | 'pretty' | 'auto';
  logFile?: string;
  maskPersonalData?: boolean;
}

/** `ferry worker <configs...>`: joins a cluster on a PostgreSQL ledger and sends the pages its runs enqueue. */
export function workerCommand(): Command {
  return new Command('worker')
    .description(
      'Join a cluster on a PostgreSQL ledger: send the pages that runs of these integrations enqueue (from ferry run or ferry serve on any machine), until SIGTERM or SIGINT.',
    )
    .argument('<configs...>', 'the integration files whose pages this worker may send')
    .option(
      '--state <url>',
      "the PostgreSQL ledger, with its password in PGPASSWORD (default: FERRY_STATE, else the first file's state: key)",
    )
    .option(
      '--concurrency <n>',
      'records this process sends at once (default: the destination.concurrency of its integrations)',
      integerInRange('--concurrency', 1, MAX_CONCURRENCY, 'the most destination.concurrency accepts'),
    )
    .option(
      '--grace <duration>',
      'how long records in flight may finish once asked to stop',
      duration('--grace'),
      10_000,
    )
    .addOption(new Option('--log-level <level>', 'log level').choices(LOG_LEVELS).default('info'))
    .addOption(
      new Option('--log-format <format>', 'log format on stderr')
        .choices(['json', 'pretty', 'auto'])
        .default('auto'),
    )
    .option('--log-file <file>', 'also append every log line as JSON to this file')
    .option('--mask-personal-data', 'mask emails and phone numbers in logs')
    .action(async (configs: string[], options: WorkerCommandOptions) => {
      const { executeWorker } = await import('../execute-worker.ts');
      process.exitCode = await executeWorker(configs, options);
    });
}
