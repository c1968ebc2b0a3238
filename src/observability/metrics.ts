import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { BreakerState, CountedState, RunObserver } from './run-observer.ts';

/** Options for createMetrics. */
export interface MetricsOptions {
  /** Also collect prom-client's default process metrics (CPU, memory, event loop). @default true */
  readonly defaultMetrics?: boolean;
  /** How many distinct values one label may take before further ones are counted as "other". @default 32 */
  readonly maxLabelValues?: number;
  /**
   * Give every ferry_* metric an `integration` label, for a process that runs several (`ferry serve`);
   * `forIntegration()` then hands out each one's observer. @default false
   */
  readonly perIntegration?: boolean;
  /** With perIntegration: integrations labelled by name before further ones count as "other". @default 256 */
  readonly maxIntegrations?: number;
}

/** Prometheus metrics of a run, on a registry of their own. */
export interface Metrics extends RunObserver {
  readonly registry: Registry;
  /** The exposition text, as served on /metrics. */
  text(): Promise<string>;
  /** The observer of one integration's runs; the metrics themselves without perIntegration. */
  forIntegration(name: string): RunObserver;
}

const COUNTED_STATES: readonly CountedState[] = ['read', 'delivered', 'skipped', 'quarantined', 'failed'];
const BREAKER_VALUE: Record<BreakerState, number> = { closed: 0, half_open: 1, open: 2 };

/** Caps a label's distinct values so a caller passing a URL or an id cannot explode cardinality. */
export function boundedLabel(max: number): (value: string) => string {
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
  const integrationLabel = boundedLabel(options.maxIntegrations ?? 256);
  const registers = [registry];
  const by: string[] = options.perIntegration ? ['integration'] : [];

  const records = new Counter({
    name: 'ferry_records_total',
    help: 'Source records by the state they reached (read, delivered, skipped, quarantined, failed).',
    labelNames: [...by, 'state'],
    registers,
  });
  const httpRequests = new Counter({
    name: 'ferry_http_requests_total',
    help: 'HTTP attempts by endpoint and response status ("error" when no response arrived).',
    labelNames: [...by, 'endpoint', 'status'],
    registers,
  });
  const httpDuration = new Histogram({
    name: 'ferry_http_request_duration_seconds',
    help: 'HTTP attempt latency by endpoint.',
    labelNames: [...by, 'endpoint'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers,
  });
  const retries = new Counter({
    name: 'ferry_retries_total',
    help: 'Retried HTTP requests by endpoint and reason.',
    labelNames: [...by, 'endpoint', 'reason'],
    registers,
  });
  const rateLimited = new Counter({
    name: 'ferry_rate_limited_total',
    help: 'Responses that throttled ferry (429 or a quota at zero) by endpoint.',
    labelNames: [...by, 'endpoint'],
    registers,
  });
  const tokenRefreshes = new Counter({
    name: 'ferry_token_refreshes_total',
    help: 'Credential refreshes by reason.',
    labelNames: [...by, 'reason'],
    registers,
  });
  const limiterWait = new Histogram({
    name: 'ferry_limiter_wait_seconds',
    help: 'Time requests waited for the client-side rate limiter, by endpoint.',
    labelNames: [...by, 'endpoint'],
    buckets: [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers,
  });
  const breaker = new Gauge({
    name: 'ferry_circuit_breaker_state',
    help: 'Circuit breaker state by endpoint: 0 closed, 1 half-open, 2 open.',
    labelNames: [...by, 'endpoint'],
    registers,
  });
  const rateGauge = new Gauge({
    name: 'ferry_rate_limit_rps',
    help: 'The rate the client-side limiter currently allows, by endpoint (0 = unlimited).',
    labelNames: [...by, 'endpoint'],
    registers,
  });
  const inFlight = new Gauge({
    name: 'ferry_in_flight_records',
    help: 'Records sent and not yet settled.',
    labelNames: by,
    registers,
  });
  const concurrencyGauge = new Gauge({
    name: 'ferry_concurrency_limit',
    help: 'The most records allowed in flight now, by endpoint (adaptive limits move while a run goes).',
    labelNames: [...by, 'endpoint'],
    registers,
  });

  /** The observer whose every sample carries `fixed` (the integration's label, or nothing). */
  const observerWith = (fixed: Readonly<Record<string, string>>): RunObserver => {
    // Present every state from the start so dashboards and rate() see zeros rather than gaps.
    for (const state of COUNTED_STATES) records.inc({ ...fixed, state }, 0);
    return {
      recordState(state, count = 1) {
        records.inc({ ...fixed, state }, count);
      },
      httpResponse({ endpoint, status, durationMs }) {
        const ep = endpointLabel(endpoint);
        httpRequests.inc({ ...fixed, endpoint: ep, status: statusLabel(status) });
        httpDuration.observe({ ...fixed, endpoint: ep }, Math.max(0, durationMs) / 1000);
        if (status === 429) rateLimited.inc({ ...fixed, endpoint: ep });
      },
      retry({ endpoint, reason }) {
        retries.inc({ ...fixed, endpoint: endpointLabel(endpoint), reason: retryReasonLabel(reason) });
      },
      rateLimited({ endpoint }) {
        rateLimited.inc({ ...fixed, endpoint: endpointLabel(endpoint) });
      },
      tokenRefresh({ reason }) {
        tokenRefreshes.inc({ ...fixed, reason: refreshReasonLabel(reason) });
      },
      breakerState({ endpoint, state }) {
        breaker.set({ ...fixed, endpoint: endpointLabel(endpoint) }, BREAKER_VALUE[state]);
      },
      limiterWait({ endpoint, waitMs }) {
        limiterWait.observe({ ...fixed, endpoint: endpointLabel(endpoint) }, Math.max(0, waitMs) / 1000);
      },
      rate({ endpoint, requestsPerSecond }) {
        rateGauge.set({ ...fixed, endpoint: endpointLabel(endpoint) }, requestsPerSecond);
      },
      inFlight(count) {
        inFlight.set(fixed, count);
      },
      concurrencyLimit({ endpoint, limit }) {
        concurrencyGauge.set({ ...fixed, endpoint: endpointLabel(endpoint) }, limit);
      },
      deadLetter() {
        // Dead letters are counted by recordState; per-record detail belongs in the report, not in labels.
      },
    };
  };

  const observers = new Map<string, RunObserver>();
  const forIntegration = (name: string): RunObserver => {
    const label = integrationLabel(name);
    let observer = observers.get(label);
    if (observer === undefined) {
      observer = observerWith({ integration: label });
      observers.set(label, observer);
    }
    return observer;
  };
  const root = options.perIntegration ? undefined : observerWith({});
  const rootOrUnknown = (): RunObserver => root ?? forIntegration('');

  return {
    registry,
    text: () => registry.metrics(),
    forIntegration: (name) => (options.perIntegration ? forIntegration(name) : rootOrUnknown()),
    recordState: (state, count) => rootOrUnknown().recordState(state, count),
    httpResponse: (observation) => rootOrUnknown().httpResponse(observation),
    retry: (event) => rootOrUnknown().retry(event),
    rateLimited: (event) => rootOrUnknown().rateLimited(event),
    tokenRefresh: (event) => rootOrUnknown().tokenRefresh(event),
    breakerState: (event) => rootOrUnknown().breakerState(event),
    limiterWait: (event) => rootOrUnknown().limiterWait(event),
    rate: (event) => rootOrUnknown().rate(event),
    inFlight: (count) => rootOrUnknown().inFlight(count),
    concurrencyLimit: (event) => rootOrUnknown().concurrencyLimit(event),
    deadLetter: (letter) => rootOrUnknown().deadLetter(letter),
  };
}
