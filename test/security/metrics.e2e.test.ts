import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { flagshipConfig, startFerry } from '../support/ferry-cli.ts';
import { type FlagshipMocks, startFlagshipMocks } from '../support/flagship-mocks.ts';
import { type Exposition, parsePrometheusText, seriesId, sumOf } from './prometheus-text.ts';
import { freePort, removeDir, tempDir } from './security-support.ts';

/**
 * `ferry run --metrics-port P` scraped while the run is going (destination latency keeps it busy for a
 * few seconds): every scrape parses as strict Prometheus text, counters never go down, labels stay
 * bounded and carry no record data, and the last scrape before exit is consistent with the report.
 */

interface Report {
  counts: Record<string, number>;
  retries: number;
  rateLimited: number;
  http: Record<string, { requests: number; retries: number; rateLimited: number }>;
}

const COUNT = 160;
let mocks: FlagshipMocks;
let dir: string;
let scrapes: Exposition[] = [];
let report: Report;
let exitCode: number | null;
const scrapeErrors: string[] = [];

beforeAll(async () => {
  mocks = await startFlagshipMocks({
    count: COUNT,
    perPage: 40,
    destinationFaults: { latencyMs: 60, errorRate: 0.05, rateLimitedRate: 0.05, retryAfterSeconds: 0 },
  });
  dir = await tempDir('metrics');
  const port = await freePort();
  const ferry = startFerry(
    [
      'run',
      flagshipConfig,
      '--state',
      `${dir}/state`,
      '--report',
      `${dir}/report.json`,
      '--metrics-port',
      String(port),
      '--concurrency',
      '4',
      '--log-format',
      'json',
    ],
    { env: mocks.env },
  );
  let finished = false;
  void ferry.done.then(() => {
    finished = true;
  });
  const texts: string[] = [];
  while (!finished) {
    try {
      const response = await fetch(`http://127.0.0.1:${port}/metrics`);
      const contentType = response.headers.get('content-type') ?? '';
      const body = await response.text();
      if (response.status !== 200 || !contentType.startsWith('text/plain'))
        scrapeErrors.push(`${response.status} ${contentType}`);
      else texts.push(body);
    } catch {
      // not listening yet, or already closed at exit
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const result = await ferry.done;
  exitCode = result.code;
  report = JSON.parse(await readFile(`${dir}/report.json`, 'utf8')) as Report;
  scrapes = texts.map((t, i) => {
    try {
      return parsePrometheusText(t);
    } catch (error) {
      throw new Error(`scrape ${i + 1} is not valid Prometheus text: ${(error as Error).message}`);
    }
  });
}, 120_000);

afterAll(async () => {
  await mocks?.close();
  if (dir) await removeDir(dir);
});

const last = () => scrapes[scrapes.length - 1]!;

describe('/metrics during a run', () => {
  it('answers during the run, several times, always as strict Prometheus text', () => {
    expect([0, 1]).toContain(exitCode);
    expect(scrapeErrors).toEqual([]);
    expect(scrapes.length).toBeGreaterThanOrEqual(3);
    for (const name of [
      'ferry_records_total',
      'ferry_http_requests_total',
      'ferry_http_request_duration_seconds',
      'ferry_retries_total',
      'ferry_rate_limited_total',
      'ferry_token_refreshes_total',
      'ferry_limiter_wait_seconds',
      'ferry_circuit_breaker_state',
      'ferry_in_flight_records',
    ]) {
      expect(last().types.has(name), name).toBe(true);
      expect(last().help.get(name)?.length, `HELP of ${name}`).toBeGreaterThan(0);
    }
    expect(last().types.get('ferry_records_total')).toBe('counter');
    expect(last().types.get('ferry_http_request_duration_seconds')).toBe('histogram');
  });

  it('shows the run progressing: a scrape caught records read but not all delivered', () => {
    const midway = scrapes.some(
      (s) =>
        sumOf(s, 'ferry_records_total', { state: 'read' }) > 0 &&
        sumOf(s, 'ferry_records_total', { state: 'delivered' }) < COUNT,
    );
    expect(midway).toBe(true);
  });

  it('never lets a counter or histogram series go down between scrapes', () => {
    const seen = new Map<string, number>();
    for (const [i, scrape] of scrapes.entries()) {
      for (const sample of scrape.samples) {
        const family = [...scrape.types.entries()].find(([f]) => sample.name.startsWith(f));
        if (!family || !sample.name.startsWith('ferry_')) continue;
        if (family[1] !== 'counter' && family[1] !== 'histogram') continue;
        const id = seriesId(sample);
        const before = seen.get(id);
        if (before !== undefined)
          expect(sample.value, `${id} at scrape ${i + 1}`).toBeGreaterThanOrEqual(before);
        seen.set(id, sample.value);
      }
    }
    expect(seen.size).toBeGreaterThan(10);
  });

  it('keeps histogram buckets cumulative with +Inf equal to _count', () => {
    const s = last();
    for (const endpoint of ['source', 'destination']) {
      const buckets = s.samples.filter(
        (x) => x.name === 'ferry_http_request_duration_seconds_bucket' && x.labels.endpoint === endpoint,
      );
      expect(buckets.length).toBeGreaterThan(1);
      for (let i = 1; i < buckets.length; i++)
        expect(buckets[i]!.value).toBeGreaterThanOrEqual(buckets[i - 1]!.value);
      expect(buckets.at(-1)!.labels.le).toBe('+Inf');
      expect(buckets.at(-1)!.value).toBe(sumOf(s, 'ferry_http_request_duration_seconds_count', { endpoint }));
    }
  });

  it('uses bounded labels with no record ids, emails or URLs', () => {
    const allowed: Record<string, RegExp> = {
      state: /^(read|delivered|skipped|quarantined|failed)$/,
      endpoint: /^(source|destination|destination_lookup|token|other|unknown)$/,
      status: /^([1-5]\d\d|error)$/,
      le: /^(\+Inf|\d+(\.\d+)?(e[-+]?\d+)?)$/,
      reason: /^[a-z0-9_ -]{1,40}$/i,
    };
    const values = new Set<string>();
    for (const scrape of scrapes) {
      for (const sample of scrape.samples) {
        if (!sample.name.startsWith('ferry_')) continue;
        for (const [name, value] of Object.entries(sample.labels)) {
          expect(Object.keys(allowed), `label ${name} of ${sample.name}`).toContain(name);
          expect(value, `${name} of ${sample.name}`).toMatch(allowed[name]!);
          expect(value).not.toMatch(/@|https?:|\/\//);
          values.add(`${name}=${value}`);
        }
      }
    }
    expect(values.size).toBeLessThan(60);
  });

  it('is consistent with the report: the last scrape before exit is at most the final figures', () => {
    const s = last();
    for (const state of ['read', 'delivered', 'skipped', 'quarantined', 'failed']) {
      expect(sumOf(s, 'ferry_records_total', { state }), state).toBeLessThanOrEqual(
        report.counts[state] ?? 0,
      );
    }
    for (const [endpoint, figures] of Object.entries(report.http)) {
      expect(
        sumOf(s, 'ferry_http_requests_total', { endpoint }),
        `requests to ${endpoint}`,
      ).toBeLessThanOrEqual(figures.requests);
      expect(sumOf(s, 'ferry_retries_total', { endpoint }), `retries of ${endpoint}`).toBeLessThanOrEqual(
        figures.retries,
      );
      expect(sumOf(s, 'ferry_rate_limited_total', { endpoint }), `429s of ${endpoint}`).toBeLessThanOrEqual(
        figures.rateLimited,
      );
    }
    expect(sumOf(s, 'ferry_retries_total')).toBeLessThanOrEqual(report.retries);
    expect(sumOf(s, 'ferry_rate_limited_total')).toBeLessThanOrEqual(report.rateLimited);
    // The faults happened, so the comparison above covered non-zero retry and 429 counters.
    expect(report.retries).toBeGreaterThan(0);
    expect(report.rateLimited).toBeGreaterThan(0);
    // How close the last scrape came to the final figures (the server closes when the run ends).
    console.info(
      `metrics: ${scrapes.length} scrapes; last scrape delivered=${sumOf(s, 'ferry_records_total', { state: 'delivered' })} of ${report.counts.delivered} in the report`,
    );
  });
});
