import { Command } from 'commander';
import { FerryError } from '../../core/errors.ts';
import type { RunStatus } from '../../core/ledger-types.ts';
import { findRun } from '../../inspection/find-run.ts';
import { listRunsPage } from '../../inspection/runs-page.ts';
import type { RunReport } from '../../observability/run-reporter.ts';
import { type LedgerOptions, openCommandLedger, withLedgerOptions } from '../open-command-ledger.ts';
import { positiveInteger } from '../options.ts';

const RUN_STATUSES: readonly RunStatus[] = [
  'running',
  'completed',
  'completed_with_errors',
  'aborted',
  'interrupted',
  'crashed',
];

/** `ferry runs list|show`: past runs and their reports. */
export function runsCommand(): Command {
  const runs = new Command('runs').description('Past runs and their reports.');
  withLedgerOptions(runs.command('list').description('List runs, newest first.'))
    .option('--integration <name>', 'only this integration')
    .option('--status <status>', `only runs that ended so (${RUN_STATUSES.join(', ')})`)
    .option('--limit <n>', 'at most N runs', positiveInteger('--limit'), 20)
    .option('--cursor <cursor>', 'the next page, as the previous page said')
    .option('--json', 'JSON on stdout')
    .action(
      async (
        options: LedgerOptions & {
          integration?: string;
          status?: string;
          limit: number;
          cursor?: string;
          json?: boolean;
        },
      ) => {
        if (options.status !== undefined && !RUN_STATUSES.includes(options.status as RunStatus)) {
          throw new FerryError(
            'FERRY_ERR_USAGE',
            `--status must be one of ${RUN_STATUSES.join(', ')}, got "${options.status}"`,
          );
        }
        const { renderTable } = await import('../../observability/render-table.ts');
        const ledger = await openCommandLedger(options, { mustExist: true });
        try {
          const page = await listRunsPage(ledger, {
            limit: options.limit,
            ...(options.integration ? { integration: options.integration } : {}),
            ...(options.status ? { status: options.status as RunStatus } : {}),
            ...(options.cursor ? { cursor: options.cursor } : {}),
          });
          const rows = page.items;
          // stdout stays one JSON array for scripts; a person still learns the list was cut.
          const more = page.nextCursor ? `… more runs: --cursor ${page.nextCursor}\n` : '';
          if (options.json) {
            process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
            process.stderr.write(more);
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
            ])}\n${more}`,
          );
        } finally {
          await ledger.close();
        }
      },
    );
  withLedgerOptions(runs.command('show').description('Show one run and its report.'))
    .argument('<run-id>', 'the run id (from `ferry runs list`), or enough of its start to be unique')
    .option('--json', 'the report as JSON on stdout')
    .action(async (runId: string, options: LedgerOptions & { json?: boolean }) => {
      const { renderSummary } = await import('../../observability/render-summary.ts');
      const ledger = await openCommandLedger(options, { mustExist: true });
      try {
        const run = await findRun(ledger, runId, `${ledger.location}; see \`ferry runs list\``);
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
