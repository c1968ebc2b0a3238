import { Command, Option } from 'commander';
import { MAX_CONCURRENCY } from '../../config/limits.ts';
import { FerryError } from '../../core/errors.ts';
import { duration, integerInRange, LOG_LEVELS, type LogLevel, port, positiveInteger } from '../options.ts';

/** Options of `ferry run`, as commander parses them. */
export interface RunCommandOptions {
  dryRun?: boolean;
  limit?: number;
  state?: string;
  report?: string;
  concurrency?: number;
  logLevel: LogLevel;
  logFormat: 'json' | 'pretty' | 'auto';
  logFile?: string;
  json?: boolean;
  metricsPort?: number;
  maskPersonalData?: boolean;
  metricsLinger?: number;
  progress: boolean;
  sample: number;
  /** Print the summary table even off a terminal (the demo's output is read by a person). */
  summaryTable?: boolean;
}

/** `ferry run <config>`: runs an integration, or previews it with --dry-run. */
export function runCommand(): Command {
  return new Command('run')
    .description("Run an integration: read the source, map, deliver, and report every record's fate.")
    .argument('<config>', 'the integration: a YAML file or a .ts module exporting defineIntegration({...})')
    .option('--dry-run', 'read, map and validate; print a sample of what would be sent; send nothing')
    .option('--limit <n>', 'stop after N source records', positiveInteger('--limit'))
    .option(
      '--state <dir|url>',
      'the ledger: a directory, or a postgres:// URL with its password in PGPASSWORD ' +
        "(default: FERRY_STATE, else the file's state: key, else .ferry/ beside the file)",
    )
    .option('--report <file>', 'write the run report (JSON) to this file')
    .option(
      '--concurrency <n>',
      'records sent at once (overrides destination.concurrency)',
      integerInRange('--concurrency', 1, MAX_CONCURRENCY, 'the most destination.concurrency accepts'),
    )
    .addOption(new Option('--log-level <level>', 'log level').choices(LOG_LEVELS).default('info'))
    .addOption(
      new Option('--log-format <format>', 'log format on stderr')
        .choices(['json', 'pretty', 'auto'])
        .default('auto'),
    )
    .option(
      '--log-file <file>',
      'also append every log line as JSON to this file, per-record detail included (the terminal shows it only at --log-level debug)',
    )
    .option('--json', 'print the run report as JSON on stdout')
    .option('--metrics-port <port>', 'serve Prometheus /metrics on 127.0.0.1:PORT during the run', port)
    .option(
      '--metrics-linger <duration>',
      'keep serving /metrics this long after the run (e.g. 30s) so a scraper sees the final values',
      duration('--metrics-linger'),
    )
    .option('--mask-personal-data', 'mask emails and phone numbers in logs')
    .option('--no-progress', 'no progress bar or progress log lines')
    .option('--sample <n>', 'with --dry-run: how many orders to print', positiveInteger('--sample'), 3)
    .action(async (configPath: string, options: RunCommandOptions, command: Command) => {
      if (!options.dryRun && command.getOptionValueSource('sample') === 'cli') {
        throw new FerryError(
          'FERRY_ERR_USAGE',
          '--sample only applies to a preview: add --dry-run, or leave --sample out to run for real',
        );
      }
      // The engine, HTTP stack and ledger load only when a run starts, keeping `--help` fast.
      const { executeRun } = await import('../execute-run.ts');
      process.exitCode = await executeRun(configPath, options);
    });
}
