import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { hasErrorCode } from '../core/errors.ts';
import { clearSecretsForTests, registerSecret } from '../core/secret-registry.ts';
import { createMetrics } from './metrics.ts';
import { combineObservers } from './run-observer.ts';
import { createRunReporter } from './run-reporter.ts';
import { writeReport } from './write-report.ts';

const START = '2025-01-01T00:00:00.000Z';

function reporterAt(offsetMs: { now: number }, maxListedDeadLetters?: number) {
  return createRunReporter({
    runId: 'run-1',
    integration: 'customers-to-orders',
    startedAt: START,
    clock: () => Date.parse(START) + offsetMs.now,
    ...(maxListedDeadLetters === undefined ? {} : { maxListedDeadLetters }),
  });
}

describe('createRunReporter', () => {
  afterEach(() => clearSecretsForTests());

  it('keeps a timeline of settled records, retries and 429s for the run page chart', () => {
    const time = { now: 0 };
    const reporter = reporterAt(time);
    reporter.recordState('read', 3);
    reporter.recordState('delivered', 2);
    time.now = 1500;
    reporter.retry({ endpoint: 'destination', reason: '429' });
    reporter.httpResponse({ endpoint: 'destination', status: 429, durationMs: 3 });
    reporter.recordState('failed');
    expect(reporter.finish().timeline).toEqual({
      intervalMs: 1000,
      points: [
        { t: 0, settled: 2, deadLettered: 0, retries: 0, rateLimited: 0 },
        { t: 1000, settled: 1, deadLettered: 1, retries: 1, rateLimited: 1 },
      ],
    });
  });

  it('reports the limit on records in flight: its range, time-weighted mean, changes and timeline', () => {
    const at = { now: 0 };
    const reporter = reporterAt(at);
    const event = (limit: number, reason: string) =>
      reporter.concurrencyLimit({ endpoint: 'destination', limit, adaptive: true, reason });
    event(8, 'initial');
    at.now = 1000;
    event(12, 'probe');
    at.now = 2000;
    event(6, 'latency');
    expect(reporter.currentConcurrencyLimit()).toBe(6);
    at.now = 4000;
    expect(reporter.finish().concurrency).toEqual({
      endpoint: 'destination',
      adaptive: true,
      initial: 8,
      final: 6,
      lowest: 6,
      highest: 12,
      mean: 8,
      changes: { probe: 1, latency: 1 },
      timeline: [
        [0, 8],
        [1000, 12],
        [2000, 6],
      ],
      timelineOmitted: 0,
    });
  });

  it('counts records and derives status, duration and rate', () => {
    const time = { now: 0 };
    const reporter = reporterAt(time);
    reporter.recordState('read', 100);
    reporter.recordState('delivered', 90);
    reporter.recordState('skipped', 5);
    reporter.recordState('quarantined', 4);
    reporter.recordState('failed');
    expect(reporter.toJSON().status).toBe('running');
    time.now = 20_000;
    const report = reporter.finish();
    expect(report).toMatchObject({
      runId: 'run-1',
      integration: 'customers-to-orders',
      status: 'completed_with_errors',
      startedAt: START,
      endedAt: '2025-01-01T00:00:20.000Z',
      durationMs: 20_000,
      counts: { read: 100, delivered: 90, skipped: 5, quarantined: 4, failed: 1 },
      ratePerSec: 5,
    });
  });

  it('reports a clean run as completed, and keeps an explicit status', () => {
    const clean = reporterAt({ now: 1 });
    clean.recordState('delivered');
    expect(clean.finish().status).toBe('completed');
    const aborted = reporterAt({ now: 1 });
    expect(aborted.finish({ status: 'aborted' }).status).toBe('aborted');
  });

  it('reports latency percentiles, statuses, retries, 429s and token refreshes per endpoint', () => {
    const reporter = reporterAt({ now: 1000 });
    for (let ms = 1; ms <= 1000; ms++)
      reporter.httpResponse({ endpoint: 'destination', status: 201, durationMs: ms });
    reporter.httpResponse({ endpoint: 'destination', status: 429, durationMs: 3 });
    reporter.httpResponse({ endpoint: 'source', status: 'error', durationMs: 30_000 });
    reporter.retry({ endpoint: 'destination', reason: '429' });
    reporter.retry({ endpoint: 'source', reason: 'reset' });
    reporter.rateLimited({ endpoint: 'destination' });
    reporter.tokenRefresh({ reason: 'expiry' });
    const report = reporter.toJSON();
    const dest = report.http.destination;
    expect(dest?.requests).toBe(1001);
    expect(dest?.byStatus).toEqual({ '201': 1000, '429': 1 });
    expect(dest?.latencyMs.p50).toBeGreaterThanOrEqual(490);
    expect(dest?.latencyMs.p50).toBeLessThanOrEqual(510);
    expect(dest?.latencyMs.p99).toBeGreaterThanOrEqual(970);
    expect(dest?.latencyMs.max).toBe(1000);
    expect(dest?.rateLimited).toBe(2);
    expect(report.http.source?.byStatus).toEqual({ error: 1 });
    expect(report.retries).toBe(2);
    expect(report.rateLimited).toBe(2);
    expect(report.tokenRefreshes).toBe(1);
  });

  it('breaks dead letters down by reason and field and lists them up to the cap', () => {
    const reporter = reporterAt({ now: 1 }, 3);
    reporter.deadLetter({
      key: 'c1',
      state: 'quarantined',
      reasons: [
        { field: 'email', code: 'required', message: 'email is required' },
        { field: 'address.zip', code: 'required', message: 'zip is required' },
      ],
    });
    reporter.deadLetter({
      key: 'c2',
      state: 'quarantined',
      reasons: [{ field: 'email', code: 'format', message: 'not an email' }],
    });
    reporter.deadLetter({
      key: 'c3',
      state: 'failed',
      reasons: [{ code: 'destination_422', message: 'refused' }],
    });
    reporter.deadLetter({
      key: 'c4',
      state: 'failed',
      reasons: [{ code: 'destination_422', message: 'refused' }],
    });
    reporter.deadLetter({
      key: 'c5',
      state: 'failed',
      reasons: [{ code: 'destination_422', message: 'refused' }],
    });
    const { deadLetters } = reporter.toJSON();
    expect(deadLetters.total).toBe(5);
    expect(deadLetters.byReason).toEqual({ required: 1, format: 1, destination_422: 3 });
    expect(deadLetters.byField).toEqual({ email: 2, 'address.zip': 1 });
    expect(deadLetters.records.map((r) => r.key)).toEqual(['c1', 'c2', 'c3']);
    expect(deadLetters.records[0]?.reasons).toHaveLength(2);
    expect(deadLetters.omitted).toBe(2);
  });

  it('redacts every string in the report, including the checkpoint URL and reasons', () => {
    registerSecret('topsecret-key-42');
    const reporter = reporterAt({ now: 1 });
    reporter.checkpoint({
      nextUrl: 'https://api.test/customers?page=3&api_key=unregistered-9',
      pageNumber: 3,
    });
    reporter.deadLetter({
      key: 'c1',
      state: 'failed',
      reasons: [{ code: 'destination_400', message: 'echoed topsecret-key-42 back' }],
    });
    const text = JSON.stringify(reporter.finish());
    expect(text).not.toContain('topsecret-key-42');
    expect(text).not.toContain('unregistered-9');
    expect(text).toContain('page=3');
  });

  it('agrees with the metrics when both observe the same run', async () => {
    const metrics = createMetrics({ defaultMetrics: false });
    const reporter = reporterAt({ now: 1 });
    const observer = combineObservers(metrics, reporter);
    observer.recordState('read', 3);
    observer.recordState('delivered', 2);
    observer.httpResponse({ endpoint: 'destination', status: 429, durationMs: 1 });
    observer.retry({ endpoint: 'destination', reason: '429' });
    const json = await metrics.registry.getMetricsAsJSON();
    const value = (name: string, labels: Record<string, string>) =>
      json
        .find((m) => m.name === name)
        ?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l))?.value;
    const report = reporter.toJSON();
    expect(value('ferry_records_total', { state: 'read' })).toBe(report.counts.read);
    expect(value('ferry_records_total', { state: 'delivered' })).toBe(report.counts.delivered);
    expect(value('ferry_rate_limited_total', { endpoint: 'destination' })).toBe(report.rateLimited);
    expect(value('ferry_retries_total', { endpoint: 'destination' })).toBe(report.retries);
  });
});

describe('writeReport', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('writes the report as JSON and leaves no temporary file behind', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ferry-report-'));
    dirs.push(dir);
    const path = join(dir, 'nested', 'report.json');
    const report = reporterAt({ now: 5 }).finish();
    await writeReport(path, report);
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual(report);
    expect(await readdir(join(dir, 'nested'))).toEqual(['report.json']);
  });

  it('replaces an existing report whole', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ferry-report-'));
    dirs.push(dir);
    const path = join(dir, 'report.json');
    await writeReport(path, { a: 'x'.repeat(10_000) });
    await writeReport(path, { a: 'short' });
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ a: 'short' });
  });

  it('fails with FERRY_ERR_REPORT_WRITE when the path cannot be written', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ferry-report-'));
    dirs.push(dir);
    await writeReport(join(dir, 'file'), {});
    const error = await writeReport(join(dir, 'file', 'under-a-file.json'), {}).catch((e: unknown) => e);
    expect(hasErrorCode(error, 'FERRY_ERR_REPORT_WRITE')).toBe(true);
  });
});
