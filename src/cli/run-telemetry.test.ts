import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { breakerMessage, createRunTelemetry } from '../runtime/run-telemetry.ts';
import { createRunOutput, type RunOutputOptions } from './run-output.ts';

/** A stream that says it is a terminal and keeps everything written to it. */
function fakeTerminal() {
  const stream = Object.assign(new PassThrough(), { isTTY: true, columns: 200 });
  let text = '';
  stream.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  return { stream, text: () => text };
}

/** Feeds a run of `records` records, each retried once and then failed by the destination. */
function faultyRun(
  options: Partial<RunOutputOptions> & { stream: NodeJS.WritableStream & { isTTY?: boolean } },
  records: number,
  known = false,
) {
  const output = createRunOutput({ logLevel: 'info', logFormat: 'auto', integration: 'flow', ...options });
  const telemetry = createRunTelemetry({
    integration: 'flow',
    logger: output.logger,
    detailLogger: output.detailLogger,
    terminal: output.human,
    showProgress: true,
    stream: options.stream,
    onProgress: (progress) => output.attachProgress(progress),
  });
  const events = telemetry.engineObserver;
  events.onRunStarted?.({ runId: 'run-1', startedAt: new Date().toISOString(), recoveredRuns: [] });
  events.onSourceTotal?.(records);
  for (let i = 0; i < records; i++) {
    events.onRecordRead?.(1);
    telemetry.observer.retry({ endpoint: 'destination', reason: '503' });
    telemetry.detailLogger().info({ endpoint: 'destination', attempt: 1 }, 'retrying a destination request');
    if (i === records / 2) telemetry.observer.breakerState({ endpoint: 'destination', state: 'open' });
    // With `known`, the record failed the same way in an earlier run: a known problem.
    events.onRecordSettled?.({
      key: String(i),
      state: 'failed',
      attempts: 2,
      reasons: [{ code: 'destination_422', message: '422 from the destination' }],
      ...(known ? { known: true } : {}),
    });
    vi.advanceTimersByTime(1);
  }
  telemetry.stopProgress();
  output.close();
  return telemetry;
}

describe('run output on a terminal', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('counts 5000 retried and failed records into the bar instead of printing a line for each', () => {
    const terminal = fakeTerminal();
    const telemetry = faultyRun({ stream: terminal.stream }, 5000);
    const text = terminal.text();
    // run started, the breaker line, and the bar's last frame; nothing per record.
    expect(text.split('\n').length).toBeLessThan(6);
    expect(text).toContain('circuit breaker open');
    expect(text).toContain('failed 5000');
    expect(text).toContain('retries 5000');
    expect(text).not.toContain('record failed');
    expect(text).not.toContain('retrying');
    expect(telemetry.reporter()?.counts().failed).toBe(5000);
  });

  it('counts records still failing from an earlier run into the bar, printing no line for each', () => {
    const terminal = fakeTerminal();
    faultyRun({ stream: terminal.stream }, 2000, true);
    const text = terminal.text();
    expect(text.split('\n').length).toBeLessThan(6);
    expect(text).toContain('failed 2000');
    expect(text).not.toContain('still failing');
  });

  it('writes the per-record detail to --log-file as JSON lines', () => {
    const terminal = fakeTerminal();
    const logFile = join(mkdtempSync(join(tmpdir(), 'ferry-log-')), 'run.log');
    faultyRun({ stream: terminal.stream, logFile }, 100);
    const lines = readFileSync(logFile, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.filter((l) => l.msg === 'record failed')).toHaveLength(100);
    expect(lines.filter((l) => l.msg === 'retrying a destination request')).toHaveLength(100);
    expect(lines.find((l) => l.msg === 'record failed')).toMatchObject({ runId: 'run-1', recordKey: '0' });
    expect(terminal.text()).not.toContain('record failed');
  });

  it('shows the per-record detail on the terminal at --log-level debug', () => {
    const terminal = fakeTerminal();
    faultyRun({ stream: terminal.stream, logLevel: 'debug' }, 10);
    expect(terminal.text().match(/record failed/g)).toHaveLength(10);
  });

  it('writes JSON lines only when stderr is not a terminal', () => {
    const stream = Object.assign(new PassThrough(), { isTTY: false });
    let text = '';
    stream.on('data', (chunk: Buffer) => {
      text += chunk.toString();
    });
    faultyRun({ stream }, 10);
    const lines = text.trim().split('\n');
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
    expect(lines.filter((l) => l.includes('"record failed"'))).toHaveLength(10);
  });
});

describe('breakerMessage', () => {
  it('says when a paused run gives up, as a clock time and as a countdown', () => {
    const now = new Date(2025, 0, 1, 14, 0, 0).getTime();
    const givesUpAt = now + 270_000;
    expect(breakerMessage({ endpoint: 'destination', state: 'open', givesUpAt }, now)).toBe(
      'circuit breaker open: destination requests paused; gives up at 14:04:30 (in 4m 30s) unless it recovers',
    );
    expect(breakerMessage({ endpoint: 'destination', state: 'closed' }, now)).toBe(
      'circuit breaker closed: destination requests resume',
    );
  });
});
