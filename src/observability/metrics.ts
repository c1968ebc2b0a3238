import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { BreakerState, CountedState, RunObserver } from './run-observer.ts';

/** Options for createMetrics. */
export interface MetricsOptions {
  /** Also collect prom-client's default process metrics (CPU, memory, event loop). @default true */
  readonly defaultMetrics?: boolean;
  /** How many distinct values one label may take before further ones are counted as "other". @default 32 */
  readonly maxLabelValues?: number;
}

/** Prometheus metrics of a run, on a registry of their own. */
export interface Metrics extends RunObserver {
  readonly registry: Registry;
  /** The exposition text, as served on /metrics. */
  text(): Promise<string>;
}

const COUNTED_STATES: readonly CountedState[] = ['read', 'delivered', 'skipped', 'quarantined', 'failed'];
const BREAKER_VALUE: Record<BreakerState, number> = { closed: 0, half_open: 1, open: 2 };

/** Caps a label's distinct values so a caller passing a URL or an id cannot explode cardinality. */
function boundedLabel(max: number): (value: string) => string {
  const seen = new Set<string>();
  return (value) => {
    const v = value === '' ? 'unknown' : value;
    if (seen.has(v)) return v;
    if (seen.size >= max) return 'other';
    seen.add(v);
    return v;
  };
}

function statusLabel(status: number | 'error'): string {
  return typeof status === 'number' && Number.isInteger(status) && status >= 100 && status <= 599
    ? String(status)
    : 'error';
}

/** Creates ferry's Prometheus metrics (ferry_*) plus default process metrics on a new registry. */
export function createMetrics(options: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  const max = options.maxLabelValues ?? 32;
  const endpointLabel = boundedLabel(max);
  const retryReasonLabel = boundedLabel(max);
  const refreshReasonLabel = boundedLabel(max);
  const registers = [registry];

  const records = new Counter({
    name: 'ferry_records_total',
    help: 'Source records by the state they reached (read, delivered, skipped, quarantined, failed).',
    labelNames: ['state'] as const,
    registers,
  });
  // Present every state from the start so dashboards and rate() see zeros rather than gaps.
  for (const state of COUNTED_STATES) records.inc({ state }, 0);
  const httpRequests = new Counter({
    name: 'ferry_http_requests_total',
    help: 'HTTP attempts by endpoint and response status ("error" when no response arrived).',
    labelNames: ['endpoint', 'status'] as const,
    registers,
  });
  const httpDuration = new Histogram({
    name: 'ferry_http_request_duration_seconds',
    help: 'HTTP attempt latency by endpoint.',
    labelNames: ['endpoint'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers,
  });
  const retries = new Counter({
    name: 'ferry_retries_total',
    help: 'Retried HTTP requests by endpoint and reason.',
    labelNames: ['endpoint', 'reason'] as const,
    registers,
  });
  const rateLimited = new Counter({
    name: 'ferry_rate_limited_total',
    help: 'Responses that throttled ferry (429 or a quota at zero) by endpoint.',
    labelNames: ['endpoint'] as const,
    registers,
  });
  const tokenRefreshes = new Counter({
    name: 'ferry_token_refreshes_total',
    help: 'Credential refreshes by reason.',
    labelNames: ['reason'] as const,
    registers,
  });
  const limiterWait = new Histogram({
    name: 'ferry_limiter_wait_seconds',
    help: 'Time requests waited for the client-side rate limiter, by endpoint.',
    labelNames: ['endpoint'] as const,
    buckets: [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers,
  });
  const breaker = new Gauge({
    name: 'ferry_circuit_breaker_state',
    help: 'Circuit breaker state by endpoint: 0 closed, 1 half-open, 2 open.',
    labelNames: ['endpoint'] as const,
    registers,
  });
  const rateGauge = new Gauge({
    name: 'ferry_rate_limit_rps',
    help: 'The rate the client-side limiter currently allows, by endpoint (0 = unlimited).',
    labelNames: ['endpoint'] as const,
    registers,
  });
  const inFlight = new Gauge({
    name: 'ferry_in_flight_records',
    help: 'Records sent and not yet settled.',
    registers,
  });

  return {
    registry,
    text: () => registry.metrics(),
    recordState(state, count = 1) {
      records.inc({ state }, count);
    },
    httpResponse({ endpoint, status, durationMs }) {
      const ep = endpointLabel(endpoint);
      httpRequests.inc({ endpoint: ep, status: statusLabel(status) });
      httpDuration.observe({ endpoint: ep }, Math.max(0, durationMs) / 1000);
      if (status === 429) rateLimited.inc({ endpoint: ep });
    },
    retry({ endpoint, reason }) {
      retries.inc({ endpoint: endpointLabel(endpoint), reason: retryReasonLabel(reason) });
    },
    rateLimited({ endpoint }) {
      rateLimited.inc({ endpoint: endpointLabel(endpoint) });
    },
    tokenRefresh({ reason }) {
      tokenRefreshes.inc({ reason: refreshReasonLabel(reason) });
    },
    breakerState({ endpoint, state }) {
      breaker.set({ endpoint: endpointLabel(endpoint) }, BREAKER_VALUE[state]);
    },
    limiterWait({ endpoint, waitMs }) {
      limiterWait.observe({ endpoint: endpointLabel(endpoint) }, Math.max(0, waitMs) / 1000);
    },
    rate({ endpoint, requestsPerSecond }) {
      rateGauge.set({ endpoint: endpointLabel(endpoint) }, requestsPerSecond);
    },
    inFlight(count) {
      inFlight.set(count);
    },
    deadLetter() {
      // Dead letters are counted by recordState; per-record detail belongs in the report, not in labels.
    },
  };
}
