import type * as CsvStringifySync from 'csv-stringify/sync';
import { describeReason } from '../core/describe-reason.ts';
import { lazyModule } from '../core/lazy-module.ts';
import type { DeadLetter } from '../core/ledger-types.ts';

/** csv-stringify, loaded by an export to CSV, not by every command (`ferry --help` included). */
const csvStringify = lazyModule<typeof CsvStringifySync>('csv-stringify/sync');

/** The formats dead letters export to. */
export type ExportFormat = 'csv' | 'jsonl';

/** The media type of each export format. */
export const exportMediaTypes: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  jsonl: 'application/jsonl; charset=utf-8',
};

const COLUMNS = [
  'id',
  'integration',
  'key',
  'run_id',
  'state',
  'reason_codes',
  'fields',
  'reasons',
  'created_at',
  'resolved_at',
  'record',
  'body',
] as const;

// A spreadsheet runs a cell that starts with one of these as a formula; partner text must never do that.
const FORMULA_START = /^[=+\-@\t\r]/;

function csvRow(letter: DeadLetter): Record<(typeof COLUMNS)[number], string | number> {
  return {
    id: letter.id,
    integration: letter.integration,
    key: letter.key,
    run_id: letter.runId,
    state: letter.state,
    reason_codes: [...new Set(letter.reasons.map((r) => r.code))].join(' '),
    fields: [...new Set(letter.reasons.flatMap((r) => (r.field ? [r.field] : [])))].join(' '),
    reasons: letter.reasons.map(describeReason).join('; '),
    created_at: letter.createdAt,
    resolved_at: letter.resolvedAt ?? '',
    record: JSON.stringify(letter.record ?? null),
    body: JSON.stringify(letter.body ?? null),
  };
}

/**
 * Dead letters as CSV (RFC 4180, one header row, cells a spreadsheet could run as formulas prefixed with
 * `'`) or JSON Lines (one letter per line, as the API returns it), a page at a time, so an export of any
 * size streams in flat memory.
 */
export async function* exportDeadLetters(
  pages: AsyncIterable<readonly DeadLetter[]>,
  format: ExportFormat,
): AsyncGenerator<string> {
  let first = true;
  for await (const page of pages) {
    if (format === 'jsonl') {
      yield page.map((letter) => `${JSON.stringify(letter)}\n`).join('');
    } else {
      yield csvStringify().stringify(page.map(csvRow), {
        header: first,
        columns: [...COLUMNS],
        cast: { string: (value) => (FORMULA_START.test(value) ? `'${value}` : value) },
      });
    }
    first = false;
  }
  // An empty CSV export still says what its columns are.
  if (first && format === 'csv') yield `${COLUMNS.join(',')}\n`;
}
