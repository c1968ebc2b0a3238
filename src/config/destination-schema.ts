import { z } from 'zod';
import { type AuthConfig, authSchema, toAuthConfig } from './auth-schema.ts';
import {
  type CircuitBreakerConfig,
  circuitBreakerSchema,
  toCircuitBreakerConfig,
} from './circuit-breaker-schema.ts';
import { headers, httpUrl, size } from './field-types.ts';
import { MAX_CONCURRENCY } from './limits.ts';
import { type RateLimitConfig, rateLimitSchema, toRateLimitConfig } from './rate-limit-schema.ts';
import { type ResponseRuleConfig, responsesSchema, toResponseRules } from './responses-schema.ts';
import { type RetryConfig, retrySchema, toRetryConfig } from './retry-schema.ts';
import { type TimeoutsConfig, timeoutsSchema, toTimeoutsConfig } from './timeouts-schema.ts';

const idempotencySchema = z
  .strictObject({
    header: z
      .string()
      .nullable()
      .default('Idempotency-Key')
      .transform((value) => (value === '' ? null : value))
      .describe(
        'Header carrying each record\'s idempotency key; null or "" sends none (then POST retries need `lookup`).',
      ),
  })
  .prefault({})
  .describe('How the destination is told that a retried request is the same record.');

const lookupSchema = z
  .strictObject({
    url: httpUrl().describe(
      "GET URL that finds one record: {key} is replaced by the record's key and {field} by a top-level field of the body sent. Either a single resource (`.../orders/{orderId}`: 200 is the record, 404 means not there) or a collection filtered by a query (`.../orders?orderId={orderId}`: an empty list means not there).",
    ),
    records_path: z
      .string()
      .default('')
      .describe(
        'Where the list is in a collection answer that wraps it (`data` for {"data":[...]}, `items`, `result.orders`); "" when the answer is the record itself or a bare list.',
      ),
    before_send: z
      .enum(['new_ledger', 'always', 'never'])
      .default('new_ledger')
      .describe(
        'When a record the ledger does not know is looked up before its first send: `new_ledger` (until a run has read the source to its end with this ledger: a job that moved to another directory, or whose first runs there were killed), `always`, or `never`.',
      ),
  })
  .optional()
  .describe(
    'Optional lookup of a record at the destination. Used before resending anything that may have arrived (a crash, a 5xx, a timeout, a reset), when the destination says the key or record exists (409, 422 `idempotency_key_reused`), before a replay, and on a new ledger; a record found equal (fields with `compare: false` in the mapping aside) counts as delivered.',
  );

/** The `destination` block: where mapped records are sent. */
export const destinationSchema = z
  .strictObject({
    type: z.literal('rest').describe('Connector type; `rest` is the only one so far.'),
    url: httpUrl().describe('URL each record is sent to.'),
    method: z.enum(['POST', 'PUT', 'PATCH']).default('POST').describe('HTTP method of each send.'),
    auth: authSchema,
    headers: headers().describe('Extra static headers sent with every destination request.'),
    idempotency: idempotencySchema,
    lookup: lookupSchema,
    concurrency: z
      .number()
      .int()
      .min(1)
      .max(MAX_CONCURRENCY)
      .default(16)
      .describe('Records in flight at once.'),
    rate_limit: rateLimitSchema,
    retry: retrySchema({
      maxAttempts: 8,
      maxElapsed: '10m',
      baseDelay: '250ms',
      maxDelay: '60s',
      maxRetryAfter: '5m',
    }),
    circuit_breaker: circuitBreakerSchema,
    timeouts: timeoutsSchema({ connect: '10s', headers: '30s', body: '30s' }),
    max_response_bytes: size().prefault('1MB').describe('Largest response body accepted.'),
    responses: responsesSchema,
  })
  .describe('Where mapped records are sent.');

/** The destination's lookup as code sees it. */
export interface LookupConfig {
  readonly url: string;
  readonly recordsPath: string;
  readonly beforeSend: 'new_ledger' | 'always' | 'never';
}

/** Destination settings as code sees them. */
export interface DestinationConfig {
  readonly type: 'rest';
  readonly url: string;
  readonly method: 'POST' | 'PUT' | 'PATCH';
  readonly auth: AuthConfig;
  readonly headers: Readonly<Record<string, string>>;
  readonly idempotency: { readonly header: string | null };
  readonly lookup?: LookupConfig;
  readonly concurrency: number;
  readonly rateLimit: RateLimitConfig;
  readonly retry: RetryConfig;
  readonly circuitBreaker: CircuitBreakerConfig;
  readonly timeouts: TimeoutsConfig;
  readonly maxResponseBytes: number;
  readonly responses: readonly ResponseRuleConfig[];
}

/** Converts a parsed `destination` block to its camelCase form. */
export function toDestinationConfig(parsed: z.output<typeof destinationSchema>): DestinationConfig {
  return {
    type: parsed.type,
    url: parsed.url,
    method: parsed.method,
    auth: toAuthConfig(parsed.auth),
    headers: parsed.headers,
    idempotency: { header: parsed.idempotency.header },
    ...(parsed.lookup === undefined
      ? {}
      : {
          lookup: {
            url: parsed.lookup.url,
            recordsPath: parsed.lookup.records_path,
            beforeSend: parsed.lookup.before_send,
          },
        }),
    concurrency: parsed.concurrency,
    rateLimit: toRateLimitConfig(parsed.rate_limit),
    retry: toRetryConfig(parsed.retry),
    circuitBreaker: toCircuitBreakerConfig(parsed.circuit_breaker),
    timeouts: toTimeoutsConfig(parsed.timeouts),
    maxResponseBytes: parsed.max_response_bytes,
    responses: toResponseRules(parsed.responses),
  };
}
