import pino from 'pino';
import { FerryError } from '../core/errors.ts';
import type { IntegrationConfig } from '../integration/integration-schema.ts';
import { loadIntegration, loadStateSetting } from '../integration/load-integration.ts';
import { createLogger } from '../observability/logger.ts';
import { isPostgresLedger, openCluster } from '../runtime/cluster-run.ts';
import { locateLedger } from '../runtime/locate-ledger.ts';
import { openLedger } from '../runtime/open-ledger.ts';
import { startWorkerProcess } from '../runtime/worker-process.ts';
import type { WorkerCommandOptions } from './commands/worker.ts';
import { ExitCode } from './exit-codes.ts';

/** How long a worker waits for PostgreSQL at start: a supervisor may start both at once. */
const OPEN_TIMEOUT_MS = 60_000;

/** Runs `ferry worker` until SIGINT or SIGTERM and returns the exit code. */
export async function executeWorker(
  paths: readonly string[],
  options: WorkerCommandOptions,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const first = paths[0];
  const location = await locateLedger({
    flag: options.state,
    env,
    config: first === undefined ? undefined : { file: first, setting: () => loadStateSetting(first, env) },
  });
  if (location.kind !== 'postgres') {
    throw new FerryError(
      'FERRY_ERR_USAGE',
      `ferry worker needs a PostgreSQL ledger (a postgres:// URL in --state or FERRY_STATE); ${location.chosenBy} names the directory ${location.display}, which only one machine can use`,
    );
  }
  const configs: IntegrationConfig[] = [];
  for (const path of paths) configs.push(await loadIntegration(path, env));
  const names = new Set<string>();
  for (const config of configs) {
    if (names.has(config.name)) {
      throw new FerryError('FERRY_ERR_USAGE', `two of the files name the integration ${config.name}`);
    }
    names.add(config.name);
  }

  const file = options.logFile
    ? pino.destination({ dest: options.logFile, sync: true, mkdir: true, append: true })
    : undefined;
  const logger = createLogger({
    level: options.logLevel,
    format: options.logFormat,
    maskPersonalData: options.maskPersonalData === true,
    ...(file ? { copyTo: file } : {}),
  });
  const ledger = await openLedger(location, {
    openTimeoutMs: OPEN_TIMEOUT_MS,
    onReconnecting: ({ what, attempt, error }) =>
      logger.warn(
        { ledger: location.display, attempt, error },
        `${what}: the ledger's PostgreSQL server cannot be reached; waiting for it`,
      ),
  });
  let signal: 'SIGINT' | 'SIGTERM' | undefined;
  try {
    if (!isPostgresLedger(ledger)) throw new FerryError('FERRY_ERR_INTERNAL', 'not a PostgreSQL ledger');
    const cluster = await openCluster(ledger, (error) =>
      logger.warn({ ledger: location.display, error }, 'the work queue cannot reach PostgreSQL; retrying'),
    );
    if (!cluster) throw new FerryError('FERRY_ERR_INTERNAL', 'no work queue beside a PostgreSQL ledger');
    try {
      const worker = await startWorkerProcess({
        configs,
        ledger,
        cluster,
        logger,
        ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
      });
      logger.info({ ledger: location.display, pid: process.pid }, 'worker started');
      signal = await new Promise<'SIGINT' | 'SIGTERM'>((resolve) => {
        process.once('SIGINT', () => resolve('SIGINT'));
        process.once('SIGTERM', () => resolve('SIGTERM'));
      });
      logger.info(
        { signal, graceMs: options.grace },
        `${signal}: finishing the records in flight (up to ${options.grace / 1000}s); press again to stop at once`,
      );
      const forced = () => process.exit(signal === 'SIGTERM' ? ExitCode.terminated : ExitCode.interrupted);
      process.once('SIGINT', forced);
      process.once('SIGTERM', forced);
      await worker.stop(options.grace);
      logger.info('worker stopped');
    } finally {
      await cluster.close();
    }
  } finally {
    await ledger.close();
    file?.flushSync();
    file?.end();
  }
  return signal === 'SIGTERM' ? ExitCode.terminated : ExitCode.interrupted;
}
