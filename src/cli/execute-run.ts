import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { IntegrationConfig } from '../config/integration-schema.ts';
import { redactSecrets } from '../core/secret-registry.ts';
import { previewIntegration } from '../engine/preview-integration.ts';
import { runIntegration } from '../engine/run-integration.ts';
import { createLogger, type Logger } from '../observability/logger.ts';
import { renderSummary } from '../observability/render-summary.ts';
import { writeReport } from '../observability/write-report.ts';
import { LEDGER_FILE, openSqliteLedger } from '../state/sqlite-ledger.ts';
import { buildIntegration, type IntegrationRuntime } from './build-integration.ts';
import type { RunCommandOptions } from './commands/run.ts';
import { exitCodeForRun } from './exit-codes.ts';
import { loadIntegration } from './load-integration.ts';
import { printError } from './print-error.ts';
import { createRunTelemetry } from './run-telemetry.ts';
import { installShutdown } from './shutdown.ts';

/** How long in-flight requests may finish after the first SIGINT/SIGTERM before they are abandoned. */
const SHUTDOWN_GRACE_MS = 10_000;

/** Runs `ferry run` and returns the exit code; usable in-process by the demo. */
export async function executeRun(
  configPath: string,
  options: RunCommandOptions,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const config = await loadIntegration(configPath, env);
  const logger = createLogger({
    level: options.logLevel,
    format: options.logFormat,
    maskPersonalData: options.maskPersonalData === true,
    base: { integration: config.name },
  });
  if (options.dryRun) return dryRun(config, options, logger);

  // Only a scrape reads Prometheus metrics, and prom-client hashes labels on every event (several per
  // record) and weighs about 20 MB loaded: without --metrics-port it is neither loaded nor fed.
  const metricsServer =
    options.metricsPort === undefined ? undefined : await serveMetrics(options.metricsPort);
  if (metricsServer) logger.info({ url: metricsServer.url }, 'serving metrics');
  const telemetry = createRunTelemetry({
    integration: config.name,
    logger,
    ...(metricsServer ? { metrics: metricsServer.metrics } : {}),
    showProgress: options.progress,
  });

  const ledger = await openSqliteLedger(options.state);
  let runtime: IntegrationRuntime | undefined;
  const shutdown = installShutdown({
    graceMs: SHUTDOWN_GRACE_MS,
    onStopping: (signal) =>
      telemetry
        .logger()
        .warn(
          { signal },
          `${signal}: finishing records in flight (up to ${SHUTDOWN_GRACE_MS / 1000}s); press again to stop at once`,
        ),
    onForcedExit: () =>
      telemetry.logger().warn('second signal: stopping now; the next run reconciles what was in flight'),
  });
  try {
    runtime = await buildIntegration(config, {
      observer: telemetry.observer,
      logger: telemetry.logger,
      ...(options.concurrency ? { concurrency: options.concurrency } : {}),
    });
    const result = await runIntegration({
      integration: config.name,
      source: runtime.source,
      sink: runtime.sink,
      mapper: runtime.mapping,
      ledger,
      concurrency: options.concurrency ?? config.destination.concurrency,
      ...(options.limit ? { limit: options.limit } : {}),
      stopSignal: shutdown.stopSignal,
      abortSignal: shutdown.abortSignal,
      observer: telemetry.engineObserver,
      ...(config.destination.lookup ? { lookupBeforeSend: config.destination.lookup.beforeSend } : {}),
    });
    telemetry.stopProgress();
    const reporter = telemetry.reporter();
    const { stillQuarantined, stillFailed } = result.counts;
    const report = reporter
      ? reporter.finish({
          status: result.status,
          endedAt: result.endedAt,
          known: { stillQuarantined, stillFailed },
        })
      : undefined;
    ledger.finishRun(result.runId, result.status, { ...result.counts }, report ?? null);
    if (options.report && report) await writeReport(options.report, report);
    if (report) {
      process.stderr.write(
        `${renderSummary(report, { color: process.stderr.isTTY === true && !process.env.NO_COLOR })}\n`,
      );
      if (options.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    }
    const log = telemetry.logger();
    if (result.error) {
      printError(result.error);
      log.error(
        { err: result.error, checkpoint: result.checkpoint },
        'run aborted; run the same command again to resume',
      );
    } else if (result.status === 'interrupted') {
      log.warn({ checkpoint: result.checkpoint }, 'run interrupted; run the same command again to resume');
    }
    log.info({ status: result.status, counts: result.counts }, 'run finished');
    if (metricsServer && options.metricsLinger && !shutdown.stopSignal.aborted) {
      log.info(
        { url: metricsServer.url, lingerMs: options.metricsLinger },
        'serving the final metrics before exiting',
      );
      await sleep(options.metricsLinger, undefined, { signal: shutdown.stopSignal }).catch(() => {});
    }
    const newProblems = result.counts.quarantined + result.counts.failed - stillQuarantined - stillFailed;
    return exitCodeForRun(result.status, shutdown.signal(), newProblems);
  } finally {
    shutdown.dispose();
    telemetry.stopProgress();
    await runtime?.close();
    await ledger.close();
    await metricsServer?.close();
  }
}

async function dryRun(
  config: IntegrationConfig,
  options: RunCommandOptions,
  logger: Logger,
): Promise<number> {
  const runtime = await buildIntegration(config);
  // Only an existing ledger is opened: a dry run must not create state.
  const ledger = existsSync(join(options.state, LEDGER_FILE))
    ? await openSqliteLedger(options.state)
    : undefined;
  try {
    const preview = await previewIntegration({
      source: runtime.source,
      mapper: runtime.mapping,
      sampleSize: options.sample,
      integration: config.name,
      ...(ledger ? { ledger } : {}),
      ...(options.limit ? { limit: options.limit } : {}),
    });
    logger.info(
      { ...preview, sampleBodies: undefined, sampleQuarantined: undefined },
      'dry run: nothing was sent',
    );
    const text = {
      dryRun: true,
      read: preview.read,
      wouldSend: preview.wouldSend,
      wouldSkip: preview.wouldSkip,
      deliveredBefore: preview.deliveredBefore,
      duplicatesInSource: preview.duplicates,
      wouldQuarantine: preview.quarantined,
      sampleOrders: preview.sampleBodies,
      sampleQuarantined: preview.sampleQuarantined,
    };
    process.stdout.write(`${redactSecrets(JSON.stringify(text, null, 2))}\n`);
    return 0;
  } finally {
    await runtime.close();
    await ledger?.close();
  }
}

async function serveMetrics(port: number) {
  const [{ createMetrics }, { startMetricsServer }] = await Promise.all([
    import('../observability/metrics.ts'),
    import('../observability/metrics-server.ts'),
  ]);
  const metrics = createMetrics();
  const server = await startMetricsServer(metrics, { port });
  return { metrics, url: server.url, close: () => server.close() };
}
