import { readFile } from 'node:fs/promises';
import { Command, Option } from 'commander';
import { FerryError } from '../../core/errors.ts';
import { duration, LOG_LEVELS, type LogLevel, port } from '../options.ts';

/** Options of `ferry serve`, as commander parses them. */
export interface ServeCommandOptions {
  state?: string;
  host: string;
  port: number;
  grace: number;
  apiTokenFile?: string;
  logLevel: LogLevel;
  logFormat: 'json' | 'pretty' | 'auto';
  logFile?: string;
  maskPersonalData?: boolean;
}

/** `ferry serve <config files or folders>`: runs integrations on their schedules and receives their webhooks. */
export function serveCommand(): Command {
  return new Command('serve')
    .description(
      'Serve integrations: run them on their schedules, receive their webhooks, and answer health checks, metrics and "run now", until SIGTERM or SIGINT (SIGHUP reloads).',
    )
    .argument('<paths...>', 'integration files, or folders of them (their .yaml and .yml integration files)')
    .option(
      '--state <dir>',
      "the ledger directory (default: FERRY_STATE, else the one the integrations' files name, which must agree)",
    )
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on (0 = any free port)', port, 8080)
    .option(
      '--grace <duration>',
      'how long runs may settle what is in flight once asked to stop',
      duration('--grace'),
      10_000,
    )
    .option(
      '--api-token-file <file>',
      'a file holding the token /api requires as a Bearer token (default: FERRY_API_TOKEN; without either, /api answers this machine only)',
    )
    .addOption(new Option('--log-level <level>', 'log level').choices(LOG_LEVELS).default('info'))
    .addOption(
      new Option('--log-format <format>', 'log format on stderr')
        .choices(['json', 'pretty', 'auto'])
        .default('auto'),
    )
    .option('--log-file <file>', 'also append every log line as JSON to this file')
    .option('--mask-personal-data', 'mask emails and phone numbers in logs')
    .action(async (paths: string[], options: ServeCommandOptions) => {
      const [{ createLogger }, { startServe }, { serveUntilSignal }, { registerSecret }, pino, exits] =
        await Promise.all([
          import('../../observability/logger.ts'),
          import('../../server/serve.ts'),
          import('../../server/serve-signals.ts'),
          import('../../core/secret-registry.ts'),
          import('pino'),
          import('../exit-codes.ts'),
        ]);
      const apiToken = await readApiToken(options.apiTokenFile);
      if (apiToken !== undefined) registerSecret(apiToken);
      const file = options.logFile
        ? pino.default.destination({ dest: options.logFile, sync: true, mkdir: true, append: true })
        : undefined;
      const logger = createLogger({
        level: options.logLevel,
        format: options.logFormat,
        maskPersonalData: options.maskPersonalData === true,
        ...(file ? { copyTo: file } : {}),
      });
      try {
        const serve = await startServe({
          paths,
          ...(options.state === undefined ? {} : { state: options.state }),
          host: options.host,
          port: options.port,
          graceMs: options.grace,
          env: process.env,
          logger,
          ...(apiToken === undefined ? {} : { apiToken }),
        });
        const signal = await serveUntilSignal(serve, logger, (forced) =>
          process.exit(forced === 'SIGTERM' ? exits.ExitCode.terminated : exits.ExitCode.interrupted),
        );
        process.exitCode = signal === 'SIGTERM' ? exits.ExitCode.terminated : exits.ExitCode.interrupted;
      } finally {
        file?.flushSync();
        file?.end();
      }
    });
}

async function readApiToken(path: string | undefined): Promise<string | undefined> {
  if (path === undefined) {
    const fromEnv = process.env.FERRY_API_TOKEN;
    return fromEnv === undefined || fromEnv === '' ? undefined : fromEnv;
  }
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new FerryError('FERRY_ERR_USAGE', `cannot read --api-token-file ${path}`, { cause });
  }
  const token = text.trim();
  if (token.length < 16) {
    throw new FerryError(
      'FERRY_ERR_USAGE',
      `--api-token-file ${path} holds a token shorter than 16 characters`,
    );
  }
  return token;
}
