import { readFile } from 'node:fs/promises';
import { authInterceptor } from '../auth/auth-interceptor.ts';
import { createAuthStrategy } from '../auth/create-auth-strategy.ts';
import { originOf } from '../auth/origin.ts';
import type { RefreshableAuthStrategy } from '../auth/refreshable-auth-strategy.ts';
import type { IntegrationConfig } from '../config/integration-schema.ts';
import { createRestSink, type RestSink } from '../connectors/rest-sink.ts';
import { createRestSource } from '../connectors/rest-source.ts';
import type { SinkConnector, SourceConnector } from '../core/connector-types.ts';
import { formatDuration } from '../core/duration.ts';
import { FerryError } from '../core/errors.ts';
import { classify } from '../http/classify.ts';
import { composeSend } from '../http/compose.ts';
import type { HttpObserver } from '../http/http-observer.ts';
import { createHttpTransport, type HttpTransport } from '../http/http-transport.ts';
import { redirectInterceptor } from '../http/redirect-interceptor.ts';
import { loadMapping } from '../mapping/load-mapping.ts';
import type { CompiledMapping } from '../mapping/mapping-types.ts';
import type { Logger } from '../observability/logger.ts';
import type { RunObserver as MetricsObserver } from '../observability/run-observer.ts';
import { createAdaptiveLimiter } from '../resilience/adaptive-limiter.ts';
import { createCircuitBreaker } from '../resilience/circuit-breaker.ts';
import { circuitBreakerInterceptor } from '../resilience/circuit-breaker-interceptor.ts';
import { rateLimitInterceptor } from '../resilience/rate-limit-interceptor.ts';
import { retryInterceptor } from '../resilience/retry-interceptor.ts';

/** An integration wired and ready to run: the one place that knows every component. */
export interface IntegrationRuntime {
  readonly config: IntegrationConfig;
  readonly mapping: CompiledMapping;
  readonly source: SourceConnector;
  readonly sink: SinkConnector;
  close(): Promise<void>;
}

/** Overrides from the command line and hooks for observability. */
export interface BuildOptions {
  /** --concurrency wins over destination.concurrency. */
  readonly concurrency?: number;
  /** Receives HTTP, breaker, limiter and token events (metrics and the run report). */
  readonly observer?: MetricsObserver;
  /** Retries, rate-limit waits and network errors are logged here, with endpoint and attempt. */
  readonly logger?: () => Logger;
}

const SOURCE_ENDPOINT = 'source';
const DESTINATION_ENDPOINT = 'destination';

/** Builds the source, mapping and sink an integration file describes. */
export async function buildIntegration(
  config: IntegrationConfig,
  options: BuildOptions = {},
): Promise<IntegrationRuntime> {
  const mapping = await loadMapping(config.mappingPath);
  const ca = config.options.caFile ? await readCaFile(config.options.caFile) : undefined;
  const httpObserver = toHttpObserver(options.observer, options.logger);
  const onTokenRefresh = options.observer
    ? { onTokenRefresh: (reason: 'expiry' | 'unauthorized') => options.observer?.tokenRefresh({ reason }) }
    : undefined;
  const destination = config.destination;
  const concurrency = options.concurrency ?? destination.concurrency;

  const sourceTransport = createHttpTransport({
    connectTimeoutMs: config.source.timeouts.connectMs,
    headersTimeoutMs: config.source.timeouts.headersMs,
    bodyTimeoutMs: config.source.timeouts.bodyMs,
    maxResponseBytes: config.source.maxResponseBytes,
    connections: 2,
    observer: httpObserver,
    ...(ca ? { ca } : {}),
  });
  const sourceAuth = createAuthStrategy(config.source.auth, {
    allowedOrigins: [originOf(config.source.url)],
    allowInsecureHttp: config.options.dangerouslyAllowInsecureHttp,
  });
  const sourceSend = composeSend(sourceTransport, [
    retryInterceptor({ ...config.source.retry, rules: config.source.responses, observer: httpObserver }),
    // Outside auth, so a followed (same-origin) redirect is authorized afresh, never carried over.
    redirectInterceptor(),
    authInterceptor(sourceAuth, onTokenRefresh),
  ]);
  const source = createRestSource({
    url: config.source.url,
    send: sourceSend,
    recordsPath: config.source.recordsPath,
    pagination: config.source.pagination,
    headers: config.source.headers,
    rules: config.source.responses,
    ...(config.source.totalPath === undefined ? {} : { totalPath: config.source.totalPath }),
    endpoint: SOURCE_ENDPOINT,
  });

  const destinationTransport = createHttpTransport({
    connectTimeoutMs: destination.timeouts.connectMs,
    headersTimeoutMs: destination.timeouts.headersMs,
    bodyTimeoutMs: destination.timeouts.bodyMs,
    maxResponseBytes: destination.maxResponseBytes,
    connections: concurrency,
    observer: httpObserver,
    ...(ca ? { ca } : {}),
  });
  const destinationOrigins = [
    originOf(destination.url),
    ...(destination.lookup ? [originOf(destination.lookup.url)] : []),
  ];
  const destinationAuth = createAuthStrategy(destination.auth, {
    allowedOrigins: destinationOrigins,
    allowInsecureHttp: config.options.dangerouslyAllowInsecureHttp,
  });
  const breaker = createCircuitBreaker({
    ...destination.circuitBreaker,
    observer: httpObserver,
    endpoint: DESTINATION_ENDPOINT,
  });
  const limiter = createAdaptiveLimiter({
    requestsPerSecond: destination.rateLimit.requestsPerSecond,
    adaptive: destination.rateLimit.adaptive,
    concurrency,
    observer: httpObserver,
    endpoint: DESTINATION_ENDPOINT,
  });
  const rules = destination.responses;
  // The retry layer is the one resend loop; a resend whose first try may have been stored asks the sink,
  // which looks the record up. With a lookup, the key alone never clears that resend: a destination may
  // ignore Idempotency-Key and store every POST.
  let sink: RestSink | undefined;
  const destinationSend = composeSend(destinationTransport, [
    retryInterceptor({
      ...destination.retry,
      idempotencyKeyHeader: destination.lookup ? null : destination.idempotency.header,
      canRetry: (request) => sink?.canResend(request) ?? false,
      rules,
      pausedMs: () => breaker.pausedMs(),
      observer: httpObserver,
    }),
    redirectInterceptor(),
    // Lookups answer while POSTs fail (a read replica, an outage of writes): only sends close the breaker.
    circuitBreakerInterceptor(breaker, { provesRecovery: (req) => req.endpoint === DESTINATION_ENDPOINT }),
    rateLimitInterceptor(limiter, { rules, maxRetryAfterMs: destination.retry.maxRetryAfterMs }),
    authInterceptor(destinationAuth, onTokenRefresh),
  ]);
  sink = createRestSink({
    url: destination.url,
    method: destination.method,
    send: destinationSend,
    headers: destination.headers,
    idempotencyHeader: destination.idempotency.header,
    ...(destination.lookup
      ? {
          lookup: {
            url: destination.lookup.url,
            recordsPath: destination.lookup.recordsPath,
            ignoreFields: mapping.fields.filter((f) => !f.compare).map((f) => f.path),
          },
        }
      : {}),
    classify: (response) =>
      classify({ response }, rules, { maxRetryAfterMs: destination.retry.maxRetryAfterMs }),
    endpoint: DESTINATION_ENDPOINT,
  });

  return {
    config,
    mapping,
    source,
    sink,
    close: () => closeAll([sourceTransport, destinationTransport], [sourceAuth, destinationAuth]),
  };
}

async function closeAll(transports: HttpTransport[], strategies: RefreshableAuthStrategy[]): Promise<void> {
  await Promise.allSettled([...transports.map((t) => t.close()), ...strategies.map((s) => s.close?.())]);
}

async function readCaFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (cause) {
    throw new FerryError('FERRY_ERR_CONFIG_NOT_FOUND', `cannot read options.ca_file ${path}`, { cause });
  }
}

/**
 * Adapts the HTTP layer's events to the metrics/report observer (a 429 is counted once, from its response)
 * and logs retries, rate-limit waits and network errors with their endpoint and attempt.
 */
function toHttpObserver(
  observer: MetricsObserver | undefined,
  logger: (() => Logger) | undefined,
): HttpObserver {
  if (!observer) return {};
  return {
    onResponse: (e) =>
      observer.httpResponse({ endpoint: e.endpoint, status: e.status, durationMs: e.durationMs }),
    onNetworkError: (e) => {
      observer.httpResponse({ endpoint: e.endpoint, status: 'error', durationMs: 0 });
      logger?.().debug({ endpoint: e.endpoint, code: e.code }, 'network error');
    },
    onRetry: (e) => {
      observer.retry({ endpoint: e.endpoint, reason: e.reason });
      const delayMs = Math.round(e.delayMs);
      logger?.().info(
        { endpoint: e.endpoint, attempt: e.attempt, delayMs, reason: e.reason },
        `retrying a ${e.endpoint} request (attempt ${e.attempt + 1}) in ${formatDuration(delayMs)}: ${e.reason}`,
      );
    },
    onRateLimited: (e) =>
      logger?.().info(
        { endpoint: e.endpoint, waitMs: Math.round(e.waitMs) },
        `${e.endpoint} asked ferry to slow down`,
      ),
    onBreakerState: (e) => observer.breakerState(e),
    onLimiterWait: (e) => observer.limiterWait({ endpoint: e.endpoint, waitMs: e.waitMs }),
    onRateChange: (e) => observer.rate({ endpoint: e.endpoint, requestsPerSecond: e.rate }),
  };
}
