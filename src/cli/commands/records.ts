import { Command } from 'commander';
import { FerryError } from '../../core/errors.ts';
import { escapeControlCharacters } from '../../core/escape-control-characters.ts';
import type { Ledger, RecordChange, RecordHistory } from '../../core/ledger-types.ts';
import { type LedgerOptions, openCommandLedger, withLedgerOptions } from '../open-command-ledger.ts';

/** A record's history as `ferry records show --json` prints it: grouped by the runs that changed it. */
export interface RecordReport {
  readonly integration: string;
  readonly key: string;
  readonly state: string;
  readonly attempts: number;
  readonly firstMappedAt: string | null;
  readonly bodyHash: string | null;
  readonly updatedAt: string;
  /** Oldest first: each run that stored a state for the record, and the states it stored. */
  readonly runs: readonly {
    readonly runId: string;
    readonly status: string | null;
    readonly startedAt: string | null;
    readonly changes: readonly Omit<RecordChange, 'runId'>[];
  }[];
  readonly deadLetters: RecordHistory['deadLetters'];
}

/** Groups a record's history by run, with each run's status and start. */
export async function toRecordReport(
  history: RecordHistory,
  ledger: Pick<Ledger, 'getRun'>,
): Promise<RecordReport> {
  const runs: RecordReport['runs'][number][] = [];
  for (const { runId, ...change } of history.changes) {
    let run = runs.at(-1);
    if (run?.runId !== runId) {
      const row = await ledger.getRun(runId);
      run = { runId, status: row?.status ?? null, startedAt: row?.startedAt ?? null, changes: [] };
      runs.push(run);
    }
    (run.changes as Omit<RecordChange, 'runId'>[]).push(change);
  }
  const { record } = history;
  return {
    integration: history.integration,
    key: record.key,
    state: record.state,
    attempts: record.attempts,
    firstMappedAt: record.firstMappedAt,
    bodyHash: record.bodyHash,
    updatedAt: record.updatedAt,
    runs,
    deadLetters: history.deadLetters,
  };
}

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
        const histories = await ledger.recordHistory(key, {
          ...(options.integration === undefined ? {} : { integration: options.integration }),
        });
        if (histories.length === 0) {
          const where = options.integration === undefined ? '' : ` of ${options.integration}`;
          throw new FerryError('FERRY_ERR_USAGE', `no record ${key}${where} in ${ledger.location}`);
        }
        const reports: RecordReport[] = [];
        for (const history of histories) reports.push(await toRecordReport(history, ledger));
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
