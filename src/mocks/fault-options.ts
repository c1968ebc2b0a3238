import { FerryError } from '../core/errors.ts';

/** How a mock writes Retry-After: delay-seconds, an HTTP-date, or either at random (seeded). */
export type RetryAfterForm = 'seconds' | 'http-date' | 'mixed';

/** Seeded faults a mock injects; every rate is a share of requests between 0 and 1. */
export interface FaultOptions {
  /** Share of requests answered 500 or 503 (half each, seeded). @default 0 */
  errorRate?: number;
  /** Share of requests answered 429 with Retry-After. @default 0 */
  rateLimitedRate?: number;
  /** Form of Retry-After on every 429. @default 'seconds' */
  retryAfter?: RetryAfterForm;
  /** Seconds Retry-After asks for on an injected 429. @default 1 */
  retryAfterSeconds?: number;
  /** Added to every faulted route before it answers. @default 0 */
  latencyMs?: number;
  /** Token-bucket limit (burst of one second); 429 past it. 0 = none. @default 0 */
  requestsPerSecond?: number;
  /** Destination only: share of stored orders whose response is dropped (socket destroyed). @default 0 */
  lostAckRate?: number;
  /**
   * Destination only: share of stored orders answered 500 anyway (the order and its Idempotency-Key
   * response are kept, as when a server fails after its commit). @default 0
   */
  errorAfterStoreRate?: number;
  /**
   * Destination only: share of PUTs and DELETEs the network delivers a second time, `redeliverDelayMs`
   * later (a delayed duplicate or an old retry arriving after newer writes). @default 0
   */
  redeliverRate?: number;
  /** Destination only: how much later a redelivered write arrives. @default 200 */
  redeliverDelayMs?: number;
  /**
   * Destination only: workers serving the orders API (POST and lookups) at once. Past them requests queue,
   * so latency grows once more than `capacity` are in flight; past twice as many they are answered 503.
   * Each POST holds its worker for `latencyMs`. 0 = unlimited. @default 0
   */
  capacity?: number;
  /** Destination only: also inject errors, 429s and latency at POST /oauth/token. @default false */
  tokenEndpoint?: boolean;
  /** Source only: share of GraphQL requests answered 200 with `data: null` and a retryable error. @default 0 */
  graphqlErrorRate?: number;
  /** Source only: share of GraphQL requests answered 200 with one customer null and an error at its path. @default 0 */
  graphqlPartialRate?: number;
}

/** Fault options with every default filled in. */
export type ResolvedFaults = Required<FaultOptions>;

const RETRY_AFTER_FORMS: readonly RetryAfterForm[] = ['seconds', 'http-date', 'mixed'];

function checkNumber(
  name: string,
  value: number | undefined,
  min: number,
  max: number,
  fallback: number,
): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new FerryError(
      'FERRY_ERR_USAGE',
      `mock fault option ${name} must be a number from ${min} to ${max}, got ${String(value)}`,
      {
        details: { option: name, value },
      },
    );
  }
  return value;
}

/** Checks fault options and fills in defaults; a wrong value throws FERRY_ERR_USAGE naming the option. */
export function resolveFaults(faults: FaultOptions = {}): ResolvedFaults {
  const resolved: ResolvedFaults = {
    errorRate: checkNumber('errorRate', faults.errorRate, 0, 1, 0),
    rateLimitedRate: checkNumber('rateLimitedRate', faults.rateLimitedRate, 0, 1, 0),
    retryAfter: faults.retryAfter ?? 'seconds',
    retryAfterSeconds: checkNumber('retryAfterSeconds', faults.retryAfterSeconds, 0, 86_400, 1),
    latencyMs: checkNumber('latencyMs', faults.latencyMs, 0, 600_000, 0),
    requestsPerSecond: checkNumber('requestsPerSecond', faults.requestsPerSecond, 0, 10_000_000, 0),
    lostAckRate: checkNumber('lostAckRate', faults.lostAckRate, 0, 1, 0),
    errorAfterStoreRate: checkNumber('errorAfterStoreRate', faults.errorAfterStoreRate, 0, 1, 0),
    redeliverRate: checkNumber('redeliverRate', faults.redeliverRate, 0, 1, 0),
    redeliverDelayMs: checkNumber('redeliverDelayMs', faults.redeliverDelayMs, 0, 600_000, 200),
    capacity: checkNumber('capacity', faults.capacity, 0, 100_000, 0),
    tokenEndpoint: faults.tokenEndpoint ?? false,
    graphqlErrorRate: checkNumber('graphqlErrorRate', faults.graphqlErrorRate, 0, 1, 0),
    graphqlPartialRate: checkNumber('graphqlPartialRate', faults.graphqlPartialRate, 0, 1, 0),
  };
  if (!RETRY_AFTER_FORMS.includes(resolved.retryAfter)) {
    throw new FerryError(
      'FERRY_ERR_USAGE',
      `mock fault option retryAfter must be one of ${RETRY_AFTER_FORMS.join(', ')}, got ${String(resolved.retryAfter)}`,
      {
        details: { option: 'retryAfter', value: resolved.retryAfter },
      },
    );
  }
  const rates = {
    errorRate: resolved.errorRate,
    rateLimitedRate: resolved.rateLimitedRate,
    lostAckRate: resolved.lostAckRate,
    graphqlErrorRate: resolved.graphqlErrorRate,
    graphqlPartialRate: resolved.graphqlPartialRate,
  };
  const total = Object.values(rates).reduce((sum, rate) => sum + rate, 0);
  if (total > 1) {
    throw new FerryError(
      'FERRY_ERR_USAGE',
      `mock fault rates add up to ${total}, more than 1 (${Object.keys(rates).join(' + ')})`,
      { details: rates },
    );
  }
  return resolved;
}
