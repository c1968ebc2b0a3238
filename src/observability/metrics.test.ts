import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetrics, type Metrics } from './metrics.ts';
import { type MetricsServer, startMetricsServer } from './metrics-server.ts';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A small parser of the Prometheus text format (0.0.4): checks the grammar and returns the samples. */
function parsePrometheus(text: string): { samples: Sample[]; types: Map<string, string> } {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  // Prometheus parses values with Go's ParseFloat, which takes NaN and Inf in any case (prom-client writes "Nan").
  const sampleLine =
    /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? ([+-]?(?:[0-9.]+(?:e[+-]?\d+)?|nan|inf))(?: -?\d+)?$/i;
  const labelPair = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const typeMatch = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/.exec(
      line,
    );
    if (typeMatch) {
      types.set(typeMatch[1] ?? '', typeMatch[2] ?? '');
      continue;
    }
    if (/^# HELP [a-zA-Z_:][a-zA-Z0-9_:]* .*$/.test(line)) continue;
    const m = sampleLine.exec(line);
    if (!m) throw new Error(`not Prometheus text: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (m[2] ?? '').matchAll(labelPair)) labels[pair[1] ?? ''] = pair[2] ?? '';
    samples.push({ name: m[1] ?? '', labels, value: Number(m[3]) });
  }
  return { samples, types };
}

function sampleValue(
  samples: Sample[],
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  return samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    ?.value;
}

describe('metrics served on /metrics', () => {
  let metrics: Metrics;
  let server: MetricsServer;

  beforeAll(async () => {
    metrics = createMetrics();
    server = await startMetricsServer(metrics, { port: 0 });
  });
  afterAll(async () => {
    await server.close();
  });

  it('serves Prometheus text whose counters match what was recorded', async () => {
    metrics.recordState('read', 10);
    metrics.recordState('delivered', 7);
    metrics.recordState('quarantined');
    metrics.recordState('failed');
    metrics.recordState('skipped');
    metrics.httpResponse({ endpoint: 'destination', status: 201, durationMs: 40 });
    metrics.httpResponse({ endpoint: 'destination', status: 201, durationMs: 60 });
    metrics.httpResponse({ endpoint: 'destination', status: 429, durationMs: 5 });
    metrics.httpResponse({ endpoint: 'source', status: 'error', durationMs: 1000 });
    metrics.retry({ endpoint: 'destination', reason: '429' });
    metrics.retry({ endpoint: 'source', reason: 'reset' });
    metrics.tokenRefresh({ reason: 'expiry' });
    metrics.breakerState({ endpoint: 'destination', state: 'half_open' });
    metrics.limiterWait({ endpoint: 'destination', waitMs: 250 });
    metrics.rate({ endpoint: 'destination', requestsPerSecond: 12.5 });
    metrics.inFlight(4);

    const response = await fetch(server.url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain; version=0.0.4');
    const { samples, types } = parsePrometheus(await response.text());

    expect(types.get('ferry_records_total')).toBe('counter');
    expect(types.get('ferry_http_request_duration_seconds')).toBe('histogram');
    expect(types.get('ferry_circuit_breaker_state')).toBe('gauge');
    expect(sampleValue(samples, 'ferry_records_total', { state: 'read' })).toBe(10);
    expect(sampleValue(samples, 'ferry_records_total', { state: 'delivered' })).toBe(7);
    expect(sampleValue(samples, 'ferry_records_total', { state: 'quarantined' })).toBe(1);
    expect(
      sampleValue(samples, 'ferry_http_requests_total', { endpoint: 'destination', status: '201' }),
    ).toBe(2);
    expect(sampleValue(samples, 'ferry_http_requests_total', { endpoint: 'source', status: 'error' })).toBe(
      1,
    );
    expect(
      sampleValue(samples, 'ferry_http_request_duration_seconds_count', { endpoint: 'destination' }),
    ).toBe(3);
    expect(
      sampleValue(samples, 'ferry_http_request_duration_seconds_sum', { endpoint: 'destination' }),
    ).toBeCloseTo(0.105);
    expect(
      sampleValue(samples, 'ferry_http_request_duration_seconds_bucket', {
        endpoint: 'destination',
        le: '0.05',
      }),
    ).toBe(2);
    expect(sampleValue(samples, 'ferry_rate_limited_total', { endpoint: 'destination' })).toBe(1);
    expect(sampleValue(samples, 'ferry_retries_total', { endpoint: 'destination', reason: '429' })).toBe(1);
    expect(sampleValue(samples, 'ferry_token_refreshes_total', { reason: 'expiry' })).toBe(1);
    expect(sampleValue(samples, 'ferry_circuit_breaker_state', { endpoint: 'destination' })).toBe(1);
    expect(sampleValue(samples, 'ferry_limiter_wait_seconds_sum', { endpoint: 'destination' })).toBeCloseTo(
      0.25,
    );
    expect(sampleValue(samples, 'ferry_rate_limit_rps', { endpoint: 'destination' })).toBe(12.5);
    expect(sampleValue(samples, 'ferry_in_flight_records')).toBe(4);
    expect(samples.some((s) => s.name === 'process_cpu_user_seconds_total')).toBe(true);

    // Cross-check the parser against prom-client's own view of the registry.
    const json = await metrics.registry.getMetricsAsJSON();
    const records = json.find((m) => m.name === 'ferry_records_total');
    const fromJson = records?.values.find((v) => v.labels.state === 'delivered')?.value;
    expect(fromJson).toBe(sampleValue(samples, 'ferry_records_total', { state: 'delivered' }));
  });

  it('answers 404 for any other path', async () => {
    const response = await fetch(server.url.replace('/metrics', '/other'));
    expect(response.status).toBe(404);
    await response.text();
  });

  it('keeps its own registry, so two runs do not share counts', async () => {
    const other = createMetrics({ defaultMetrics: false });
    other.recordState('read', 3);
    const { samples } = parsePrometheus(await other.text());
    expect(sampleValue(samples, 'ferry_records_total', { state: 'read' })).toBe(3);
    expect(samples.some((s) => s.name.startsWith('process_'))).toBe(false);
  });

  it('shows every record state from the start, at zero', async () => {
    const fresh = createMetrics({ defaultMetrics: false });
    const { samples } = parsePrometheus(await fresh.text());
    for (const state of ['read', 'delivered', 'skipped', 'quarantined', 'failed']) {
      expect(sampleValue(samples, 'ferry_records_total', { state })).toBe(0);
    }
  });

  it('folds endpoint labels past the limit into "other" so cardinality stays bounded', async () => {
    const bounded = createMetrics({ defaultMetrics: false, maxLabelValues: 2 });
    for (const id of ['a', 'b', 'https://x.test/orders/1', 'https://x.test/orders/2']) {
      bounded.httpResponse({ endpoint: id, status: 200, durationMs: 1 });
    }
    const { samples } = parsePrometheus(await bounded.text());
    const endpoints = new Set(
      samples.filter((s) => s.name === 'ferry_http_requests_total').map((s) => s.labels.endpoint),
    );
    expect([...endpoints].sort()).toEqual(['a', 'b', 'other']);
    expect(sampleValue(samples, 'ferry_http_requests_total', { endpoint: 'other' })).toBe(2);
  });
});

describe('metrics of several integrations (ferry serve)', () => {
  it('labels every ferry_ metric with its integration, each starting at zero', async () => {
    const metrics = createMetrics({ defaultMetrics: false, perIntegration: true });
    const orders = metrics.forIntegration('orders');
    metrics.forIntegration('events');
    orders.recordState('delivered', 4);
    orders.httpResponse({ endpoint: 'destination', status: 201, durationMs: 3 });
    orders.inFlight(2);
    const { samples } = parsePrometheus(await metrics.text());
    expect(sampleValue(samples, 'ferry_records_total', { integration: 'orders', state: 'delivered' })).toBe(
      4,
    );
    expect(sampleValue(samples, 'ferry_records_total', { integration: 'events', state: 'delivered' })).toBe(
      0,
    );
    expect(
      sampleValue(samples, 'ferry_http_requests_total', {
        integration: 'orders',
        endpoint: 'destination',
        status: '201',
      }),
    ).toBe(1);
    expect(sampleValue(samples, 'ferry_in_flight_records', { integration: 'orders' })).toBe(2);
    const ferrySamples = samples.filter((s) => s.name.startsWith('ferry_'));
    expect(ferrySamples.every((s) => s.labels.integration !== undefined)).toBe(true);
  });

  it('folds integrations past the limit into "other"', async () => {
    const metrics = createMetrics({ defaultMetrics: false, perIntegration: true, maxIntegrations: 2 });
    for (const name of ['a', 'b', 'c', 'd']) metrics.forIntegration(name).recordState('read');
    const { samples } = parsePrometheus(await metrics.text());
    const names = new Set(
      samples.filter((s) => s.name === 'ferry_records_total').map((s) => s.labels.integration),
    );
    expect([...names].sort()).toEqual(['a', 'b', 'other']);
    expect(sampleValue(samples, 'ferry_records_total', { integration: 'other', state: 'read' })).toBe(2);
  });
});
