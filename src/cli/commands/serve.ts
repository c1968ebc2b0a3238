import { Command, Option } from 'commander';
import { FerryError, hasErrorCode } from '../../core/errors.ts';
import { duration, LOG_LEVELS, type LogLevel, port } from '../options.ts';

/** Options of `ferry serve`, as commander parses them. */
export interface ServeCommandOptions {
  state?: string;
  host: string;
  port: number;
  grace: number;
  apiTokenFile?: string;
  usersFile?: string;
  allowedHost: string[];
  secureCookies?: boolean;
  logLevel: LogLevel;
  logFormat: 'json' | 'pretty' | 'auto';
  logFile?: string;
  maskPersonalData?: boolean;
}

/**
 * `ferry serve <config files or folders>`: runs integrations on their schedules and receives their
 * webhooks, with the dashboard and the operations API.
 */
export function serveCommand(): Command {
  return new Command('serve')
    .description(
      'Serve integrations: run them on their schedules, receive their webhooks, show them in a dashboard with the operations API under /api/, and answer health checks and metrics, until SIGTERM or SIGINT (SIGHUP reloads).',
    )
    .argument('<paths...>', 'integration files, or folders of them (their .yaml and .yml integration files)')
    .option(
      '--state <dir>',
      "the ledger directory (default: FERRY_STATE, else the one the integrations' files name, which must agree)",
    )
    .option(
      '--host <host>',
      'address to listen on; beyond loopback, the dashboard needs --api-token-file or --users-file',
      '127.0.0.1',
    )
    .option('--port <port>', 'port to listen on (0 = any free port)', port, 8080)
    .option(
      '--grace <duration>',
      'how long runs may settle what is in flight once asked to stop',
      duration('--grace'),
      10_000,
    )
    .option(
      '--api-token-file <file>',
      'a file holding the token (24+ characters) the dashboard and /api/ require: a Bearer token, or typed on the sign-in page (default: FERRY_API_TOKEN)',
    )
    .option(
      '--users-file <file>',
      'people who sign in to the dashboard: NAME:HASH lines, each hash from `ferry hash-password` (default: FERRY_USERS_FILE)',
    )
    .option(
      '--allowed-host <name>',
      'a host name the dashboard is reached by besides loopback and --host (a reverse proxy in front); repeatable',
      (value: string, previous: string[]) => [...previous, value],
      [] as string[],
    )
    .option(
      '--secure-cookies',
      "mark the dashboard's cookies Secure: it is reached over HTTPS (a proxy in front)",
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
      const [
        { createLogger },
        { startServe },
        { serveUntilSignal },
        { registerSecret },
        pino,
        exits,
        access,
      ] = await Promise.all([
        import('../../observability/logger.ts'),
        import('../../server/serve.ts'),
        import('../../server/serve-signals.ts'),
        import('../../core/secret-registry.ts'),
        import('pino'),
        import('../exit-codes.ts'),
        import('../serve-access.ts'),
      ]);
      const apiToken = await access.readApiToken(options.apiTokenFile, process.env);
      if (apiToken !== undefined) registerSecret(apiToken);
      const users = await access.readUsersFile(options.usersFile, process.env);
      // A hash is no password, but it is no one's business either: kept out of every log line.
      for (const user of users ?? []) registerSecret(user.passwordHash);
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
        const starting = startServe({
          paths,
          ...(options.state === undefined ? {} : { state: options.state }),
          host: options.host,
          port: options.port,
          graceMs: options.grace,
          env: process.env,
          logger,
          ...(apiToken === undefined ? {} : { apiToken }),
          ...(users === undefined ? {} : { users }),
          ...(options.allowedHost.length > 0 ? { allowedHosts: options.allowedHost } : {}),
          ...(options.secureCookies ? { secureCookies: true } : {}),
        }).catch((error: unknown) => {
          if (!hasErrorCode(error, 'FERRY_ERR_UNSAFE_BINDING') || apiToken !== undefined || users)
            throw error;
          throw new FerryError(
            'FERRY_ERR_UNSAFE_BINDING',
            `refusing to listen on ${options.host} without authentication: anyone who reaches it could read ` +
              'records, replay and purge dead letters. Give --api-token-file FILE (or FERRY_API_TOKEN) or ' +
              '--users-file FILE (hashes from `ferry hash-password`), or listen on 127.0.0.1 behind a proxy.',
          );
        });
        const signal = await serveUntilSignal(starting, logger, (forced) =>
          process.exit(forced === 'SIGTERM' ? exits.ExitCode.terminated : exits.ExitCode.interrupted),
        );
        process.exitCode = signal === 'SIGTERM' ? exits.ExitCode.terminated : exits.ExitCode.interrupted;
      } finally {
        file?.flushSync();
        file?.end();
      }
    });
}
