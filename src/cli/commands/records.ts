import { Command } from 'commander';
import { FerryError } from '../../core/errors.ts';
import { escapeControlCharacters } from '../../core/escape-control-characters.ts';
import { type RecordReport, recordReports } from '../../inspection/record-report.ts';
import { type LedgerOptions, openCommandLedger, withLedgerOptions } from '../open-command-ledger.ts';

/** The history as text for a person: the record now, then run by run, then its dead letters. */
export function renderRecordReport(report: RecordReport): string {
  const lines = [
    `record ${report.key} of ${report.integration}: ${report.state}, ${report.attempts} attempt${report.attempts === 1 ? '' : 's'}, ` +
      `body ${report.bodyHash ?? '-'}, since ${report.updatedAt}`,
  ];
  for (const run of report.runs) {
    lines.push(`  run ${run.runId} (${run.status ?? 'unknown'}, started ${run.startedAt ?? '?'})`);
    for (const c of run.changes) {
      lines.push(
        `    ${c.at}  ${c.state.padEnd(11)}  attempts ${c.attempts}  body ${c.bodyHash ?? '-'}${c.reason ? `  ${c.reason}` : ''}`,
      );
    }
  }
  if (report.deadLetters.length > 0) lines.push('  dead letters:');
  for (const l of report.deadLetters) {
    const reasons = l.reasons.map((r) => (r.field ? `${r.field}: ${r.message}` : r.message)).join('; ');
    lines.push(
      `    #${l.id}  ${l.state}  ${l.createdAt}  run ${l.runId}  ${l.resolvedAt ? `resolved ${l.resolvedAt}  ` : ''}${reasons}`,
    );
  }
  // Reasons quote what a destination answered: escaped, so they cannot forge lines or drive the terminal.
  return lines.map(escapeControlCharacters).join('\n');
}

/** `ferry records show <key>`: one record's history across runs. */
export function recordsCommand(): Command {
  const records = new Command('records').description('What the ledger knows of single records.');
  withLedgerOptions(
    records
      .command('show')
      .description(
        "Show a record's history: every run that changed it (state, attempts, reasons, when, body hash) and its dead letters.",
      ),
  )
    .argument('<key>', 'the record key (as in `ferry dlq list`)')
    .option('--integration <name>', 'only in this integration (else every integration with the key)')
    .option('--json', 'JSON on stdout')
    .action(async (key: string, options: LedgerOptions & { integration?: string; json?: boolean }) => {
      const ledger = await openCommandLedger(options, { mustExist: true });
      try {
        const reports = await recordReports(ledger, key, options.integration);
        if (reports.length === 0) {
          const where = options.integration === undefined ? '' : ` of ${options.integration}`;
          throw new FerryError('FERRY_ERR_USAGE', `no record ${key}${where} in ${ledger.location}`);
        }
        process.stdout.write(
          options.json
            ? `${JSON.stringify(reports, null, 2)}\n`
            : `${reports.map(renderRecordReport).join('\n\n')}\n`,
        );
      } finally {
        await ledger.close();
      }
    });
  return records;
}
