import { z } from 'zod';
import type { ResponseAction } from '../core/http-types.ts';
import { authSchema, toAuthConfig } from './auth-schema.ts';
import { circuitBreakerSchema, toCircuitBreakerConfig } from './circuit-breaker-schema.ts';
import { concurrencySchema, maxConcurrency, toConcurrencyConfig } from './concurrency-schema.ts';
import { headers, size } from './field-types.ts';
import { rateLimitSchema, toRateLimitConfig } from './rate-limit-schema.ts';
import { responsesSchema, sourceResponsesSchema, toResponseRules } from './responses-schema.ts';
import { type RetryDefaults, retrySchema, toRetryConfig } from './retry-schema.ts';
import { timeoutsSchema, toTimeoutsConfig } from './timeouts-schema.ts';
import { tlsSchema, toTlsConfig } from './tls-schema.ts';

/**
 * The options every HTTP-speaking source shares (REST, GraphQL, SOAP, XML): spread into a connector's
 * options schema, then turned into a stack with `sourceHttp()`.
 */
export function sourceHttpShape() {
  return {
    auth: authSchema,
    headers: headers().describe('Extra static headers sent with every source request.'),
    timeouts: timeoutsSchema({ connect: '10s', headers: '30s', body: '60s' }),
    max_response_bytes: size().prefault('50MB').describe('Largest page body accepted.'),
    retry: retrySchema(SOURCE_RETRY),
    responses: sourceResponsesSchema,
    tls: tlsSchema,
  };
}

/** The options every HTTP-speaking destination shares: the source's, plus concurrency, limiter and breaker. */
export function sinkHttpShape() {
  return {
    auth: authSchema,
    headers: headers().describe('Extra static headers sent with every destination request.'),
    concurrency: concurrencySchema,
    rate_limit: rateLimitSchema,
    retry: retrySchema(SINK_RETRY),
    circuit_breaker: circuitBreakerSchema,
    timeouts: timeoutsSchema({ connect: '10s', headers: '30s', body: '30s' }),
    max_response_bytes: size().prefault('1MB').describe('Largest response body accepted.'),
    responses: responsesSchema,
    tls: tlsSchema,
  };
}

const SOURCE_RETRY: RetryDefaults = {
  maxAttempts: 6,
  maxElapsed: '5m',
  baseDelay: '250ms',
  maxDelay: '30s',
  maxRetryAfter: '5m',
};

const SINK_RETRY: RetryDefaults = {
  maxAttempts: 8,
  maxElapsed: '10m',
  baseDelay: '250ms',
  maxDelay: '60s',
  maxRetryAfter: '5m',
};

const sourceHttpObject = z.strictObject(sourceHttpShape());
const sinkHttpObject = z.strictObject(sinkHttpShape());

/** A source's HTTP options, parsed. */
export type SourceHttpOptions = z.output<typeof sourceHttpObject>;
/** A destination's HTTP options, parsed. */
export type SinkHttpOptions = z.output<typeof sinkHttpObject>;

/** What every side's options decide of its stack alike. */
function commonHttp(options: SourceHttpOptions | SinkHttpOptions) {
  return {
    auth: toAuthConfig(options.auth),
    retry: toRetryConfig(options.retry),
    timeouts: toTimeoutsConfig(options.timeouts),
    maxResponseBytes: options.max_response_bytes,
    rules: toResponseRules<ResponseAction['type']>(options.responses),
    tls: toTlsConfig(options.tls),
  };
}

/** The parts of a source's HTTP stack its options decide (the connector adds endpoint and origins). */
export function sourceHttp(options: SourceHttpOptions) {
  return { ...commonHttp(options), connections: 2 };
}

/**
 * The parts of a destination's HTTP stack its options decide; a fixed `concurrency` (--concurrency, from the
 * connector context) wins over the options'. The stack the runtime builds from them carries the limit in
 * force (`HttpStack.concurrency`), which the sink hands the engine.
 */
export function sinkHttp(options: SinkHttpOptions, concurrency?: number) {
  const limit = toConcurrencyConfig(options.concurrency, concurrency);
  return {
    ...commonHttp(options),
    rateLimit: toRateLimitConfig(options.rate_limit),
    circuitBreaker: toCircuitBreakerConfig(options.circuit_breaker),
    concurrency: limit,
    connections: maxConcurrency(limit),
  };
}
