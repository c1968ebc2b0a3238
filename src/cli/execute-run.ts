import { setTimeout as sleep } from 'node:timers/promises';
import { hasErrorCode } from '../core/errors.ts';
import { redactSecrets } from '../core/secret-registry.ts';
import { previewIntegration } from '../engine/preview-integration.ts';
import type { IntegrationConfig } from '../integration/integration-schema.ts';
import { loadIntegration, loadStateSetting } from '../integration/load-integration.ts';
import type { Logger } from '../observability/logger.ts';
import { renderSummary } from '../observability/render-summary.ts';
import type { LedgerReport } from '../observability/run-reporter.ts';
import { checkReportPath, writeReport } from '../observability/write-report.ts';
import { buildIntegration } from '../runtime/build-integration.ts';
import { openCluster } from '../runtime/cluster-run.ts';
import { type LedgerLocation, locateLedger } from '../runtime/locate-ledger.ts';
import { type OpenedLedger, openLedger } from '../runtime/open-ledger.ts';
import { runJob } from '../runtime/run-job.ts';
import { createRunTelemetry } from '../runtime/run-telemetry.ts';
import type { RunCommandOptions } from './commands/run.ts';
import { withCredentialHint } from './credential-hint.ts';
import { exitCodeForRun } from './exit-codes.ts';
import { printError } from './print-error.ts';
import { createRunOutput, type RunOutput } from './run-output.ts';
import { installShutdown } from './shutdown.ts';

/** How long in-flight requests may finish after the first SIGINT/SIGTERM before they are abandoned. */
const SHUTDOWN_GRACE_MS = 10_000;

/** Runs `ferry run` and returns the exit code; usable in-process by the demo. */
export async function executeRun(
  configPath: string,
  options: RunCommandOptions,
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  let loaded: IntegrationConfig | undefined;
  const load = async () => {
    loaded ??= await loadIntegration(configPath, env);
    return loaded;
  };
  // --state and FERRY_STATE are checked before the file is read: refusing them needs no secret set. The
  // file's state: key is read on its own, as the read-only commands read it (a database URL's password
  // rules included).
  const location = await locateLedger({
    flag: options.state,
    env,
    config: { file: configPath, setting: () => loadStateSetting(configPath, env) },
  });
  const config = await load();
  const output = createRunOutput({
    logLevel: options.logLevel,
    logFormat: options.logFormat,
    maskPersonalData: options.maskPersonalData === true,
    integration: config.name,
    ...(options.logFile ? { logFile: options.logFile } : {}),
  });
  try {
    if (options.dryRun) return await dryRun(config, options, output.logger, location);
    return await run(config, options, output, location);
  } finally {
    output.close();
  }
}

async function run(
  config: IntegrationConfig,
  options: RunCommandOptions,
  output: RunOutput,
  location: LedgerLocation,
): Promise<number> {
  const { logger } = output;

  // What can be checked before the run is: a report that cannot be written, or a ledger that cannot be
  // kept, must stop the command before it sends anything, not after.
  if (options.report) await checkReportPath(options.report);
  const ledger = await openLedger(location, {
    onReconnecting: ({ what, attempt, error }) =>
      logger.warn(
        { ledger: location.display, attempt, error },
        `${what}: the ledger's PostgreSQL server cannot be reached; waiting for it`,
      ),
  });
  const ledgerReport = await describeLedger(ledger, location, config.name);
  if (ledgerReport.note)
    logger.warn({ ledger: location.display, chosenBy: location.chosenBy }, ledgerReport.note);

  // Only a scrape reads Prometheus metrics, and prom-client hashes labels on every event (several per
  // record) and is heavy to load: without --metrics-port it is neither loaded nor fed.
  let metricsServer: Awaited<ReturnType<typeof serveMetrics>> | undefined;
  // On PostgreSQL the run shares its pages with `ferry worker` processes through the work queue.
  let cluster: Awaited<ReturnType<typeof openCluster>>;
  try {
    cluster = await openCluster(ledger, (error) =>
      logger.warn({ ledger: location.display, error }, 'the work queue cannot reach PostgreSQL; retrying'),
    );
    metricsServer = options.metricsPort === undefined ? undefined : await serveMetrics(options.metricsPort);
  } catch (error) {
    await cluster?.close();
    await ledger.close();
    throw error;
  }
  if (metricsServer) logger.info({ url: metricsServer.url }, 'serving metrics');
  const telemetry = createRunTelemetry({
    integration: config.name,
    logger,
    detailLogger: output.detailLogger,
    terminal: output.human,
    onProgress: (progress) => output.attachProgress(progress),
    ...(metricsServer ? { metrics: metricsServer.metrics } : {}),
    showProgress: options.progress,
  });

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
    const { result, report } = await runJob(config, {
      ledger,
      telemetry,
      ledgerReport,
      ...(options.concurrency ? { concurrency: options.concurrency } : {}),
      ...(options.limit ? { limit: options.limit } : {}),
      stopSignal: shutdown.stopSignal,
      abortSignal: shutdown.abortSignal,
      ...(cluster ? { cluster } : {}),
    });
    output.attachProgress(undefined);
    const { stillQuarantined, stillFailed } = result.counts;
    if (options.report && report) await writeReport(options.report, report);
    // Off a terminal stderr carries JSON lines only: the summary's figures go in the `run finished` line.
    if (report && (output.human || options.summaryTable)) {
      const color = output.human && !process.env.NO_COLOR;
      process.stderr.write(`${renderSummary(report, { color })}\n`);
    }
    if (report && options.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    const log = telemetry.logger();
    const error = result.error && withCredentialHint(result.error, config);
    if (error) {
      // On a terminal a person reads one plain line; off it stderr stays JSON lines, and this one says it all.
      if (output.human) printError(error);
      log.error(
        { err: error, code: error.code, checkpoint: result.checkpoint },
        `run aborted: ${error.message} [${error.code}]`,
      );
    } else if (result.status === 'interrupted') {
      log.warn({ checkpoint: result.checkpoint }, 'run interrupted; run the same command again to resume');
    }
    // On a terminal the summary above says all this; the line still goes to --log-file.
    (output.human ? telemetry.detailLogger() : log).info(
      {
        status: result.status,
        counts: result.counts,
        ...(report
          ? {
              durationMs: report.durationMs,
              ratePerSec: report.ratePerSec,
              retries: report.retries,
              rateLimited: report.rateLimited,
              deadLettersByReason: report.deadLetters.byReason,
            }
          : {}),
      },
      'run finished',
    );
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
    await cluster?.close();
    await ledger.close();
    await metricsServer?.close();
  }
}

async function dryRun(
  config: IntegrationConfig,
  options: RunCommandOptions,
  logger: Logger,
  location: LedgerLocation,
): Promise<number> {
  const built = await buildIntegration(config);
  // Only an existing ledger is opened: a dry run must not create state.
  const ledger = await openLedger(location, { mustExist: true }).catch((error: unknown) => {
    if (hasErrorCode(error, 'FERRY_ERR_STATE_NOT_FOUND')) return undefined;
    throw error;
  });
  try {
    const preview = await previewIntegration({
      source: built.source,
      mapper: built.mapping,
      sink: built.sink,
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
    await built.close();
    await ledger?.close();
  }
}

/** The run report's `ledger` field; its note says when this run starts a ledger, not continues one. */
async function describeLedger(
  ledger: OpenedLedger,
  location: LedgerLocation,
  integration: string,
): Promise<LedgerReport> {
  const base = { path: location.display, chosenBy: location.chosenBy };
  if (ledger.created) {
    return { ...base, new: true, note: `no ledger found at ${location.display}: starting a new one` };
  }
  if ((await ledger.listRuns({ integration, limit: 1 })).length === 0) {
    return {
      ...base,
      new: true,
      note: `the ledger at ${location.display} has no runs of ${integration}: starting it from scratch`,
    };
  }
  return { ...base, new: false };
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
