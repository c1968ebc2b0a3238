import { afterEach, describe, expect, it } from 'vitest';
import { formatDuration } from '../core/duration.ts';
import { clearSecretsForTests, registerSecret } from '../core/secret-registry.ts';
import { renderSummary } from './render-summary.ts';
import { renderTable } from './render-table.ts';
import { createRunReporter } from './run-reporter.ts';

const START = '2025-01-01T00:00:00.000Z';

function finishedReport(deadLetters: number) {
  const reporter = createRunReporter({
    runId: 'run-42',
    integration: 'customers-to-orders',
    startedAt: START,
    clock: () => Date.parse(START) + 12_500,
  });
  reporter.recordState('read', 1000);
  reporter.recordState('delivered', 950);
  reporter.recordState('skipped', 25);
  reporter.recordState('quarantined', deadLetters);
  for (let i = 0; i < deadLetters; i++) {
    reporter.deadLetter({
      key: `cust-${i}`,
      state: 'quarantined',
      reasons: [{ field: 'email', code: i % 3 === 0 ? 'format' : 'required', message: 'email is missing' }],
    });
  }
  return reporter.finish();
}

describe('renderSummary', () => {
  afterEach(() => clearSecretsForTests());

  it('shows the counts, duration and rate of the run', () => {
    const text = renderSummary(finishedReport(0), { color: false });
    expect(text).toContain('run-42');
    expect(text).toContain('completed');
    expect(text).toMatch(/read\s+1000/);
    expect(text).toMatch(/delivered\s+950/);
    expect(text).toMatch(/skipped\s+25/);
    expect(text).toMatch(/quarantined\s+0/);
    expect(text).toMatch(/failed\s+0/);
    expect(text).toMatch(/duration\s+12\.5s/);
    expect(text).toMatch(/rate\s+78 rec\/s/);
    expect(text).not.toContain('Dead letters');
    expect(text).not.toContain('\u001b[');
  });

  it('lists the top reasons and ten records, then points to dlq list for the rest', () => {
    const text = renderSummary(finishedReport(25), { color: false });
    expect(text).toMatch(/required\s+16/);
    expect(text).toMatch(/format\s+9/);
    expect(text).toContain('cust-0');
    expect(text).toContain('cust-9');
    expect(text).not.toContain('cust-10');
    expect(text).toContain('email: email is missing (format)');
    expect(text).toContain('... and 15 more; see `ferry dlq list`');
  });

  it('shows records still quarantined or failing from earlier runs apart from the new dead letters', () => {
    const reporter = createRunReporter({ runId: 'run-43', integration: 'i', startedAt: START });
    reporter.recordState('read', 10);
    reporter.recordState('quarantined', 3);
    reporter.recordState('failed', 1);
    reporter.deadLetter({
      key: 'new-1',
      state: 'quarantined',
      reasons: [{ code: 'required', message: 'm' }],
    });
    const report = reporter.finish({ known: { stillQuarantined: 2, stillFailed: 1 } });
    expect(report.known).toEqual({ stillQuarantined: 2, stillFailed: 1 });
    expect(report.deadLetters.total).toBe(1);
    const text = renderSummary(report, { color: false });
    expect(text).toMatch(/still quarantined \(known\)\s+2/);
    expect(text).toMatch(/still failing \(known\)\s+1/);
    expect(text).toContain('Newly dead-lettered records');
    expect(renderSummary(finishedReport(0), { color: false })).not.toContain('known');
  });

  it('colours only when asked', () => {
    expect(renderSummary(finishedReport(2), { color: true })).toContain('\u001b[33m');
  });

  it('masks secrets that reached a report', () => {
    registerSecret('leaky-secret-value');
    const report = finishedReport(1);
    const tampered = {
      ...report,
      deadLetters: {
        ...report.deadLetters,
        records: [
          { key: 'k', state: 'failed' as const, reasons: [{ code: 'x', message: 'leaky-secret-value' }] },
        ],
      },
    };
    expect(renderSummary(tampered, { color: false })).not.toContain('leaky-secret-value');
  });
});

describe('formatDuration', () => {
  it('reads naturally at every scale', () => {
    expect(formatDuration(850)).toBe('850ms');
    expect(formatDuration(12_345)).toBe('12.3s');
    expect(formatDuration(5000)).toBe('5s');
    expect(formatDuration(245_000)).toBe('4m 05s');
    expect(formatDuration(3_725_000)).toBe('1h 02m 05s');
  });
});

describe('renderTable', () => {
  it('aligns columns under their headers', () => {
    const text = renderTable(
      [
        { id: 1, key: 'cust-1', reason: 'email is required' },
        { id: 12345, key: 'c', reason: null },
      ],
      [
        { header: 'ID', value: 'id', align: 'right' },
        { header: 'KEY', value: 'key' },
        { header: 'REASON', value: (r) => r.reason ?? '-' },
      ],
    );
    expect(text.split('\n')).toEqual([
      '   ID  KEY     REASON',
      '-----  ------  -----------------',
      '    1  cust-1  email is required',
      '12345  c       -',
    ]);
  });

  it('cuts long cells and flattens newlines so rows stay on one line', () => {
    const text = renderTable(
      [{ note: `line one\nline two ${'x'.repeat(50)}` }],
      [{ header: 'NOTE', value: 'note', maxWidth: 20 }],
    );
    const rows = text.split('\n');
    expect(rows).toHaveLength(3);
    expect(rows[2]).toBe('line one line two x…');
  });

  it('prints just the header for no rows', () => {
    expect(renderTable([] as { a: string }[], [{ header: 'A', value: 'a' }])).toBe('A\n-');
  });
});
