import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { authInterceptor } from '../auth/auth-interceptor.ts';
import { createAuthStrategy } from '../auth/create-auth-strategy.ts';
import type { SharedTokens } from '../auth/shared-tokens.ts';
import type { ConcurrencyConfig } from '../config/concurrency-schema.ts';
import type { TlsConfig } from '../config/tls-schema.ts';
import type { HttpStack, HttpStackOptions } from '../connectors/spec.ts';
import { type ConcurrencyLimit, fixedConcurrency } from '../core/concurrency-limit.ts';
import { FerryError } from '../core/errors.ts';
import type { Interceptor } from '../core/http-types.ts';
import { classifyInterceptor } from '../http/classify-interceptor.ts';
import { composeSend } from '../http/compose.ts';
import type { HttpObserver } from '../http/http-observer.ts';
import { createHttpTransport } from '../http/http-transport.ts';
import { redirectInterceptor } from '../http/redirect-interceptor.ts';
import { type AdaptiveConcurrency, createAdaptiveConcurrency } from '../resilience/adaptive-concurrency.ts';
import { createAdaptiveLimiter } from '../resilience/adaptive-limiter.ts';
import { type BreakerBoard, createCircuitBreaker } from '../resilience/circuit-breaker.ts';
import { circuitBreakerInterceptor } from '../resilience/circuit-breaker-interceptor.ts';
import { concurrencyInterceptor } from '../resilience/concurrency-interceptor.ts';
import { createCoreWaitSampler } from '../resilience/core-wait.ts';
import { createLoopDelaySampler, type LoopDelaySampler } from '../resilience/loop-delay.ts';
import { rateLimitInterceptor } from '../resilience/rate-limit-interceptor.ts';
import { retryInterceptor } from '../resilience/retry-interceptor.ts';
import { type RateBudget, sharedLimiter } from '../resilience/shared-limiter.ts';

/** What every stack of one integration shares. */
export interface StackEnvironment {
  readonly observer: HttpObserver;
  /** Told when a token is fetched again (metrics and the report). */
  readonly onTokenRefresh?: (reason: 'expiry' | 'unauthorized') => void;
  readonly allowInsecureHttp: boolean;
  /** options.ca_file, read already. */
  readonly ca?: string;
  /** Relative TLS paths resolve against it. */
  readonly baseDir: string;
  /** Token caches shared by the runs of a long-lived process (ferry serve). */
  readonly sharedTokens?: SharedTokens;
  /**
   * The destination's pace and breaker as a cluster shares them (workers on PostgreSQL): the stack's limiter
   * and breaker keep to them, besides their own.
   */
  readonly shared?: { readonly rate: RateBudget; readonly breaker: BreakerBoard };
}

/**
 * Composes one connector's HTTP stack in the one fixed order, outermost first: retry (the one resend
 * loop), redirect, circuit breaker, rate limiter, auth, the adaptive concurrency's measurements (each
 * attempt's round trip, without limiter waits or token fetches), classify (each response judged once,
 * where it is first seen), transport.
 */
export function createHttpStack(options: HttpStackOptions, environment: StackEnvironment): HttpStack {
  const { observer } = environment;
  const tls = readTls(options.tls ?? {}, environment);
  const transport = createHttpTransport({
    connectTimeoutMs: options.timeouts.connectMs,
    headersTimeoutMs: options.timeouts.headersMs,
    bodyTimeoutMs: options.timeouts.bodyMs,
    maxResponseBytes: options.maxResponseBytes,
    connections: options.connections,
    observer,
    ...tls,
  });
  const auth = createAuthStrategy(options.auth, {
    allowedOrigins: options.origins,
    allowInsecureHttp: environment.allowInsecureHttp,
    ...(environment.sharedTokens ? { sharedTokens: environment.sharedTokens } : {}),
  });
  const rules = options.rules ?? [];
  const maxRetryAfterMs = options.retry.maxRetryAfterMs;
  const shared = environment.shared;
  const breaker = options.circuitBreaker
    ? createCircuitBreaker({
        ...options.circuitBreaker,
        observer,
        endpoint: options.endpoint,
        ...(shared ? { board: shared.breaker } : {}),
      })
    : undefined;
  const local = options.rateLimit
    ? createAdaptiveLimiter({
        requestsPerSecond: options.rateLimit.requestsPerSecond,
        adaptive: options.rateLimit.adaptive,
        concurrency: options.connections,
        observer,
        endpoint: options.endpoint,
      })
    : undefined;
  const limiter =
    local && shared && options.rateLimit
      ? sharedLimiter(local, shared.rate, { configured: options.rateLimit.requestsPerSecond })
      : local;
  // An adaptive limit takes the wait this process adds to its answers off their round trips.
  const loopDelay = options.concurrency?.adaptive ? createLoopDelaySampler() : undefined;
  const concurrency =
    options.concurrency && createConcurrency(options.concurrency, options.endpoint, observer, loopDelay);
  const interceptors: Interceptor[] = [
    retryInterceptor({
      ...options.retry,
      rules,
      observer,
      ...(options.idempotencyKeyHeader === undefined
        ? {}
        : { idempotencyKeyHeader: options.idempotencyKeyHeader }),
      ...(options.canResend ? { canRetry: (request) => options.canResend?.()?.(request) ?? false } : {}),
      ...(breaker ? { pausedMs: () => breaker.pausedMs() } : {}),
    }),
    // Outside auth, so a followed (same-origin) redirect is authorized afresh, never carried over.
    redirectInterceptor(),
  ];
  if (breaker) {
    const provesRecovery = options.circuitBreaker?.provesRecovery;
    interceptors.push(circuitBreakerInterceptor(breaker, provesRecovery ? { provesRecovery } : {}));
  }
  if (limiter) interceptors.push(rateLimitInterceptor(limiter, { rules, maxRetryAfterMs }));
  interceptors.push(
    authInterceptor(
      auth,
      environment.onTokenRefresh ? { onTokenRefresh: environment.onTokenRefresh } : undefined,
    ),
  );
  if (concurrency && 'start' in concurrency) {
    const measures = options.concurrencyMeasures;
    interceptors.push(concurrencyInterceptor(concurrency, measures ? { measures } : {}));
  }
  interceptors.push(
    classifyInterceptor(rules, {
      maxRetryAfterMs,
      ...(options.classifyBody ? { classifyBody: options.classifyBody } : {}),
    }),
  );
  return {
    send: composeSend(transport, interceptors),
    prepare: () => auth.prepare?.(),
    ...(concurrency ? { concurrency } : {}),
    close: async () => {
      loopDelay?.stop();
      await Promise.allSettled([transport.close(), auth.close?.()]);
    },
  };
}

/** The destination's limit: adaptive ones report every change, fixed ones their value once. */
function createConcurrency(
  config: ConcurrencyConfig,
  endpoint: string,
  observer: HttpObserver,
  loopDelay: LoopDelaySampler | undefined,
): ConcurrencyLimit | AdaptiveConcurrency {
  if (!config.adaptive) {
    observer.onConcurrencyLimit?.({ endpoint, limit: config.limit, adaptive: false, reason: 'initial' });
    return fixedConcurrency(config.limit);
  }
  const limit = createAdaptiveConcurrency({
    ...config,
    ...(loopDelay ? { clientDelay: () => loopDelay.take() } : {}),
    coreWait: createCoreWaitSampler(),
    onChange: ({ limit, reason }) =>
      observer.onConcurrencyLimit?.({ endpoint, limit, adaptive: true, reason }),
  });
  observer.onConcurrencyLimit?.({ endpoint, limit: limit.current(), adaptive: true, reason: 'initial' });
  return limit;
}

/** The CA bundle and client certificate the transport needs, read from their files. */
function readTls(tls: TlsConfig, environment: StackEnvironment) {
  const read = (path: string, what: string) => {
    const full = resolve(environment.baseDir, path);
    try {
      return readFileSync(full, 'utf8');
    } catch (cause) {
      throw new FerryError('FERRY_ERR_CONFIG_NOT_FOUND', `cannot read tls.${what} ${full}`, { cause });
    }
  };
  const cas = [environment.ca, tls.caFile && read(tls.caFile, 'ca_file')].filter(
    (ca): ca is string => typeof ca === 'string',
  );
  return {
    ...(cas.length > 0 ? { ca: cas.join('\n') } : {}),
    ...(tls.certFile && tls.keyFile
      ? {
          clientCertificate: {
            cert: read(tls.certFile, 'cert_file'),
            key: read(tls.keyFile, 'key_file'),
            ...(tls.passphrase ? { passphrase: tls.passphrase } : {}),
          },
        }
      : {}),
  };
}
