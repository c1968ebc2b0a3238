import { Command } from 'commander';
import { FerryError } from '../../core/errors.ts';
import type { Ledger, RunRow } from '../../core/ledger-types.ts';
import type { RunReport } from '../../observability/run-reporter.ts';
import { type LedgerOptions, openCommandLedger, withLedgerOptions } from '../open-command-ledger.ts';
import { positiveInteger } from '../options.ts';

/** The run with this id, or the one run whose id starts with it; a clear usage error otherwise. */
export async function findRun(
  ledger: Pick<Ledger, 'getRun' | 'findRunsByIdPrefix'>,
  id: string,
  stateDir: string,
): Promise<RunRow> {
  const exact = await ledger.getRun(id);
  if (exact) return exact;
  const shown = 5;
  const matches = id === '' ? [] : await ledger.findRunsByIdPrefix(id, shown + 1);
  if (matches.length === 1) return matches[0]!;
  if (matches.length === 0) {
    throw new FerryError('FERRY_ERR_USAGE', `no run ${id} in ${stateDir}; see \`ferry runs list\``);
  }
  const listed = matches.slice(0, shown).map((r) => `  ${r.id} (${r.integration}, started ${r.startedAt})`);
  throw new FerryError(
    'FERRY_ERR_USAGE',
    `"${id}" is the start of ${matches.length > shown ? `more than ${shown}` : matches.length} run ids; ` +
      `give more of it:\n${listed.join('\n')}`,
  );
}

/** `ferry runs list|show`: past runs and their reports. */
export function runsCommand(): Command {
  const runs = new Command('runs').description('Past runs and their reports.');
  withLedgerOptions(runs.command('list').description('List runs, newest first.'))
    .option('--integration <name>', 'only this integration')
    .option('--limit <n>', 'at most N runs', positiveInteger('--limit'), 20)
    .option('--json', 'JSON on stdout')
    .action(async (options: LedgerOptions & { integration?: string; limit: number; json?: boolean }) => {
      const { renderTable } = await import('../../observability/render-table.ts');
      const ledger = await openCommandLedger(options, { mustExist: true });
      try {
        const rows = await ledger.listRuns({
          limit: options.limit,
          ...(options.integration ? { integration: options.integration } : {}),
        });
        if (options.json) {
          process.stdout.write(
            `${JSON.stringify(
              rows.map(({ report: _, ...row }) => row),
              null,
              2,
            )}\n`,
          );
          return;
        }
        process.stdout.write(
          `${renderTable(rows, [
            { header: 'run', value: 'id' },
            { header: 'integration', value: 'integration' },
            { header: 'status', value: 'status' },
            { header: 'started', value: 'startedAt' },
            { header: 'ended', value: (r) => r.endedAt ?? '' },
            ...(['read', 'delivered', 'skipped', 'quarantined', 'failed'] as const).map((k) => ({
              header: k,
              value: (r: (typeof rows)[number]) => r.counts[k] ?? 0,
              align: 'right' as const,
            })),
          ])}\n`,
        );
      } finally {
        await ledger.close();
      }
    });
  withLedgerOptions(runs.command('show').description('Show one run and its report.'))
    .argument('<run-id>', 'the run id (from `ferry runs list`), or enough of its start to be unique')
    .option('--json', 'the report as JSON on stdout')
    .action(async (runId: string, options: LedgerOptions & { json?: boolean }) => {
      const { renderSummary } = await import('../../observability/render-summary.ts');
      const ledger = await openCommandLedger(options, { mustExist: true });
      try {
        const run = await findRun(ledger, runId, ledger.location);
        if (options.json) {
          process.stdout.write(`${JSON.stringify(run, null, 2)}\n`);
        } else if (run.report) {
          process.stdout.write(
            `${renderSummary(run.report as RunReport, { color: process.stdout.isTTY === true })}\n`,
          );
        } else {
          process.stdout.write(
            `run ${run.id} (${run.integration}): ${run.status}, started ${run.startedAt}, no report (it did not finish)\n`,
          );
        }
      } finally {
        await ledger.close();
      }
    });
  return runs;
}
