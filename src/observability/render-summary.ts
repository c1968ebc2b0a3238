import { describeReason } from '../core/describe-reason.ts';
import { formatDuration } from '../core/duration.ts';
import type { Reason } from '../core/ledger-types.ts';
import { redactSecrets } from '../core/secret-registry.ts';
import { renderTable } from './render-table.ts';
import type { RunReport } from './run-reporter.ts';

/** Options for renderSummary. */
export interface SummaryOptions {
  /** ANSI colours; pass the output stream's isTTY (and honour NO_COLOR). */
  readonly color: boolean;
  /** Dead-lettered records listed by key. @default 10 */
  readonly maxRecords?: number;
}

const CODES = { green: 32, yellow: 33, red: 31, bold: 1, dim: 2 } as const;

function describeReasons(reasons: readonly Reason[]): string {
  return reasons.map((r) => `${describeReason(r)} (${r.code})`).join('; ');
}

/** Renders the end-of-run summary: the counts, then the top dead-letter reasons and records. */
export function renderSummary(report: RunReport, options: SummaryOptions): string {
  const paint = (code: keyof typeof CODES, text: string): string =>
    options.color ? `\u001b[${CODES[code]}m${text}\u001b[0m` : text;
  const c = report.counts;
  const statusColor =
    report.status === 'completed' ? 'green' : report.status === 'completed_with_errors' ? 'yellow' : 'red';
  const figures: { label: string; value: string }[] = [
    { label: 'read', value: String(c.read) },
    { label: 'delivered', value: paint('green', String(c.delivered)) },
    { label: 'skipped', value: String(c.skipped) },
    { label: 'quarantined', value: c.quarantined > 0 ? paint('yellow', String(c.quarantined)) : '0' },
    { label: 'failed', value: c.failed > 0 ? paint('red', String(c.failed)) : '0' },
    ...(report.known.stillQuarantined > 0
      ? [{ label: '  still quarantined (known)', value: String(report.known.stillQuarantined) }]
      : []),
    ...(report.known.stillFailed > 0
      ? [{ label: '  still failing (known)', value: String(report.known.stillFailed) }]
      : []),
    { label: 'duration', value: formatDuration(report.durationMs) },
    { label: 'rate', value: `${report.ratePerSec} rec/s` },
  ];
  if (report.retries > 0 || report.rateLimited > 0 || report.tokenRefreshes > 0) {
    figures.push(
      { label: 'retries', value: String(report.retries) },
      { label: 'rate limited (429)', value: String(report.rateLimited) },
      { label: 'token refreshes', value: String(report.tokenRefreshes) },
    );
  }
  const out: string[] = [
    `${paint('bold', `Run ${report.runId}`)} of ${report.integration}: ${paint(statusColor, report.status)}`,
    '',
    // The table minus its header and rule: two columns of label and right-aligned value.
    ...renderTable(figures, [
      { header: '', value: 'label' },
      { header: '', value: 'value', align: 'right' },
    ])
      .split('\n')
      .slice(2)
      .map((line) => `  ${line}`),
  ];

  const dl = report.deadLetters;
  if (dl.total > 0) {
    const reasons = Object.entries(dl.byReason)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 10)
      .map(([code, count]) => ({ code, count }));
    out.push(
      '',
      paint('bold', 'New dead letters by reason'),
      renderTable(reasons, [
        { header: 'reason', value: 'code' },
        { header: 'records', value: 'count', align: 'right' },
      ]),
    );
    const max = options.maxRecords ?? 10;
    const shown = dl.records.slice(0, max);
    out.push(
      '',
      paint('bold', 'Newly dead-lettered records'),
      renderTable(shown, [
        { header: 'key', value: 'key', maxWidth: 40 },
        { header: 'state', value: (r) => paint(r.state === 'failed' ? 'red' : 'yellow', r.state) },
        { header: 'reasons', value: (r) => describeReasons(r.reasons), maxWidth: 100 },
      ]),
    );
    const more = dl.total - shown.length;
    if (more > 0) out.push(`... and ${more} more; see \`ferry dlq list\``);
  }
  return redactSecrets(out.join('\n'));
}
