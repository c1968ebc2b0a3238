import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createProgress } from './progress.ts';
import type { RunCounts } from './run-reporter.ts';

const counts = (c: Partial<RunCounts>): RunCounts => ({
  read: 0,
  delivered: 0,
  skipped: 0,
  quarantined: 0,
  failed: 0,
  ...c,
});

describe('createProgress', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2025-01-01T00:00:00Z'));
  });
  afterEach(() => vi.useRealTimers());

  it('logs a structured progress line every interval when not on a terminal', () => {
    const lines: { obj: Record<string, unknown>; msg: string }[] = [];
    const logger = { info: (obj: Record<string, unknown>, msg: string) => lines.push({ obj, msg }) };
    const progress = createProgress({ isTTY: false, logger, intervalMs: 5000 });

    progress.update(counts({ read: 100, delivered: 40, quarantined: 5, failed: 5 }));
    vi.advanceTimersByTime(4999);
    expect(lines).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(lines).toHaveLength(1);
    expect(lines[0]?.msg).toBe('progress');
    expect(lines[0]?.obj).toEqual({
      read: 100,
      delivered: 40,
      skipped: 0,
      quarantined: 5,
      failed: 5,
      ratePerSec: 10,
    });

    progress.update(counts({ read: 200, delivered: 150 }));
    vi.advanceTimersByTime(5000);
    expect(lines).toHaveLength(2);
    expect(lines[1]?.obj).toMatchObject({ read: 200, delivered: 150, ratePerSec: 15 });
  });

  it('logs the final counts on stop and then stays quiet', () => {
    const lines: Record<string, unknown>[] = [];
    const progress = createProgress({
      isTTY: false,
      logger: { info: (obj) => lines.push(obj) },
      intervalMs: 1000,
    });
    progress.update(counts({ read: 3, delivered: 3 }));
    progress.stop();
    expect(lines).toEqual([expect.objectContaining({ read: 3, delivered: 3 })]);
    vi.advanceTimersByTime(10_000);
    progress.stop();
    expect(lines).toHaveLength(1);
  });

  it('draws a bar with rate and counts on a terminal, and logs nothing', () => {
    const stream = Object.assign(new PassThrough(), { isTTY: true, columns: 200 });
    let drawn = '';
    stream.on('data', (chunk: Buffer) => {
      drawn += chunk.toString();
    });
    const info = vi.fn();
    const progress = createProgress({ total: 200, isTTY: true, stream, logger: { info } });
    vi.advanceTimersByTime(2000);
    progress.update(counts({ read: 100, delivered: 90, quarantined: 6, failed: 4 }));
    vi.advanceTimersByTime(1000);
    progress.stop();
    expect(drawn).toContain('100/200');
    expect(drawn).toContain('50%');
    expect(drawn).toContain('delivered 90');
    expect(drawn).toContain('quarantined 6');
    expect(drawn).toContain('failed 4');
    expect(drawn).toContain('rec/s');
    expect(info).not.toHaveBeenCalled();
  });

  it('shows the limit on records in flight, on a terminal and in progress lines', () => {
    const stream = Object.assign(new PassThrough(), { isTTY: true, columns: 240 });
    let drawn = '';
    stream.on('data', (chunk: Buffer) => {
      drawn += chunk.toString();
    });
    const bar = createProgress({ total: 200, isTTY: true, stream, logger: { info: vi.fn() } });
    bar.update({ ...counts({ read: 10, delivered: 10 }), concurrencyLimit: 48 });
    vi.advanceTimersByTime(1000);
    bar.stop();
    expect(drawn).toContain('in flight ≤ 48');
    const lines: Record<string, unknown>[] = [];
    const log = createProgress({
      isTTY: false,
      logger: { info: (obj) => lines.push(obj) },
      intervalMs: 1000,
    });
    log.update({ ...counts({ read: 10, delivered: 10 }), concurrencyLimit: 12 });
    vi.advanceTimersByTime(1000);
    log.stop();
    expect(lines[0]).toMatchObject({ concurrencyLimit: 12 });
  });

  it('shows a running count when the total is unknown', () => {
    const stream = Object.assign(new PassThrough(), { isTTY: true, columns: 200 });
    let drawn = '';
    stream.on('data', (chunk: Buffer) => {
      drawn += chunk.toString();
    });
    const progress = createProgress({ isTTY: true, stream, logger: { info: vi.fn() } });
    progress.update(counts({ read: 7, delivered: 7 }));
    vi.advanceTimersByTime(1000);
    progress.stop();
    expect(drawn).toContain('7 records settled');
    expect(drawn).not.toContain('ETA');
  });

  it('shows skipped records and retries, and no ETA until the rate means something', () => {
    const stream = Object.assign(new PassThrough(), { isTTY: true, columns: 250 });
    const frames: string[] = [];
    stream.on('data', (chunk: Buffer) => frames.push(chunk.toString()));
    const progress = createProgress({ total: 1000, isTTY: true, stream, logger: { info: vi.fn() } });
    progress.update({ ...counts({ read: 5, skipped: 3 }), retries: 2 });
    vi.advanceTimersByTime(250);
    const early = frames.join('');
    expect(early).toContain('skipped 3');
    expect(early).toContain('retries 2');
    expect(early).toContain('ETA …');
    expect(early).not.toContain('ETA 0s');
    vi.advanceTimersByTime(9_750);
    progress.update(counts({ read: 500, delivered: 497, skipped: 3 }));
    vi.advanceTimersByTime(250);
    // 500 of 1000 settled in 10 s: as long again to go.
    expect(frames.join('').slice(early.length)).toContain('ETA 10s');
    progress.stop();
  });

  it('writes logged lines above the bar, the last ones included when it stops', () => {
    const stream = Object.assign(new PassThrough(), { isTTY: true, columns: 200 });
    let drawn = '';
    stream.on('data', (chunk: Buffer) => {
      drawn += chunk.toString();
    });
    const progress = createProgress({ total: 10, isTTY: true, stream, logger: { info: vi.fn() } });
    progress.log('circuit breaker open\n');
    progress.stop();
    expect(drawn).toContain('circuit breaker open\n');
    expect(drawn.indexOf('circuit breaker open')).toBeLessThan(drawn.lastIndexOf('ferry ['));
  });
});
