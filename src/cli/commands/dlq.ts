import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Command } from 'commander';
import { describeReason } from '../../core/describe-reason.ts';
import { FerryError } from '../../core/errors.ts';
import { escapeControlCharacters } from '../../core/escape-control-characters.ts';
import type { DeadLetter, DeadLetterFilter } from '../../core/ledger-types.ts';
import { plural } from '../../core/plural.ts';
import type { ReplayOutcome } from '../../engine/replay-dead-letters.ts';
import {
  deadLetterFilter,
  eachDeadLetterPage,
  listDeadLettersPage,
} from '../../inspection/dead-letters-page.ts';
import { exitCodeForRun } from '../exit-codes.ts';
import { type LedgerOptions, openCommandLedger, withLedgerOptions } from '../open-command-ledger.ts';
import { positiveInteger } from '../options.ts';

const reasonsText = (l: DeadLetter) => l.reasons.map(describeReason).join('; ');

/** One dead letter for a person: what it is, every reason on its own line, the record and the body. */
export function describeDeadLetter(letter: DeadLetter): string {
  // The key and reasons can quote what a peer sent: nothing of theirs may drive the terminal.
  const safe = escapeControlCharacters;
  const lines = [
    `dead letter ${letter.id}: ${letter.state} record ${safe(letter.key)} of ${letter.integration}`,
    `  run       ${letter.runId}`,
    `  created   ${letter.createdAt}`,
    `  resolved  ${letter.resolvedAt ?? 'no (replay it with `ferry dlq replay`)'}`,
    '',
    letter.reasons.length === 1 ? 'Reason' : 'Reasons',
    ...letter.reasons.map((r) => safe(`  ${describeReason(r)} (${r.code})`)),
    '',
    'Source record',
    indent(JSON.stringify(letter.record, null, 2)),
  ];
  if (letter.body !== null && letter.body !== undefined) {
    lines.push('', 'Mapped body', indent(JSON.stringify(letter.body, null, 2)));
  }
  return `${lines.join('\n')}\n`;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}

/** The filters `dlq list` and `dlq export` share with the operations API. */
interface FilterOptions {
  integration?: string;
  kind?: string;
  run?: string;
  reason?: string;
  field?: string;
  all?: boolean;
}

function withDeadLetterFilters(command: Command): Command {
  return command
    .option('--integration <name>', 'only this integration')
    .option('--kind <state>', 'quarantined or failed')
    .option('--run <run-id>', 'only those of this run')
    .option('--reason <code>', 'only those with a reason of this code (as in the reasons column)')
    .option('--field <path>', 'only those with a reason about this field')
    .option('--all', 'include dead letters already resolved by a replay');
}

function filterOf(options: FilterOptions): DeadLetterFilter {
  if (options.kind && options.kind !== 'quarantined' && options.kind !== 'failed') {
    throw new FerryError('FERRY_ERR_USAGE', `--kind must be quarantined or failed, got "${options.kind}"`);
  }
  return deadLetterFilter({
    includeResolved: options.all === true,
    ...(options.integration ? { integration: options.integration } : {}),
    ...(options.kind ? { state: options.kind as 'quarantined' | 'failed' } : {}),
    ...(options.run ? { runId: options.run } : {}),
    ...(options.reason ? { reason: options.reason } : {}),
    ...(options.field ? { field: options.field } : {}),
  });
}

/** `ferry dlq list|show|export|replay|purge`: the dead-letter store. */
export function dlqCommand(): Command {
  const dlq = new Command('dlq').description('Inspect, replay and purge quarantined and failed records.');
  withDeadLetterFilters(
    withLedgerOptions(
      dlq.command('list').description('List dead letters, newest first (replayed ones only with --all).'),
    ),
  )
    .option('--limit <n>', 'at most N', positiveInteger('--limit'), 50)
    .option('--cursor <cursor>', 'the next page, as the previous page said')
    .option('--json', 'JSON on stdout')
    .action(
      async (options: LedgerOptions & FilterOptions & { limit: number; cursor?: string; json?: boolean }) => {
        const filter = filterOf(options);
        const { renderTable } = await import('../../observability/render-table.ts');
        const ledger = await openCommandLedger(options, { mustExist: true });
        try {
          const page = await listDeadLettersPage(ledger, {
            ...filter,
            limit: options.limit,
            ...(options.cursor ? { cursor: options.cursor } : {}),
          });
          const letters = page.items;
          const more =
            page.nextCursor === null ? '' : ` --cursor ${page.nextCursor} lists the next ${options.limit}`;
          const moreHint =
            page.nextCursor === null
              ? ''
              : options.cursor
                ? `… more:${more}\n`
                : `… and ${page.total - letters.length} more; --limit ${page.total} lists them all,${more}\n`;
          if (options.json) {
            process.stdout.write(`${JSON.stringify(letters, null, 2)}\n`);
            // stdout stays one JSON array for scripts; a person still learns the list was cut.
            process.stderr.write(moreHint);
            return;
          }
          process.stdout.write(
            `${renderTable(letters, [
              { header: 'id', value: 'id', align: 'right' },
              { header: 'integration', value: 'integration' },
              { header: 'key', value: 'key' },
              { header: 'state', value: 'state' },
              { header: 'reasons', value: reasonsText, maxWidth: 80 },
              { header: 'created', value: 'createdAt' },
              { header: 'resolved', value: (l) => l.resolvedAt ?? '' },
            ])}\n${moreHint}`,
          );
        } finally {
          await ledger.close();
        }
      },
    );
  withDeadLetterFilters(
    withLedgerOptions(
      dlq
        .command('export')
        .description(
          'Write every matching dead letter to stdout as CSV or JSON Lines (replayed ones only with --all).',
        ),
    ),
  )
    .option('--format <format>', 'csv or jsonl', 'jsonl')
    .action(async (options: LedgerOptions & FilterOptions & { format: string }) => {
      if (options.format !== 'csv' && options.format !== 'jsonl') {
        throw new FerryError('FERRY_ERR_USAGE', `--format must be csv or jsonl, got "${options.format}"`);
      }
      const filter = filterOf(options);
      const ledger = await openCommandLedger(options, { mustExist: true });
      try {
        const { exportDeadLetters } = await import('../../inspection/dead-letter-export.ts');
        const chunks = exportDeadLetters(eachDeadLetterPage(ledger, filter), options.format);
        await pipeline(Readable.from(chunks), process.stdout, { end: false });
      } finally {
        await ledger.close();
      }
    });
  withLedgerOptions(
    dlq.command('show').description('Show one dead letter: the record, the mapped body and every reason.'),
  )
    .argument('<id>', 'the dead letter id', positiveInteger('<id>'))
    .option('--json', 'JSON on stdout')
    .action(async (id: number, options: LedgerOptions & { json?: boolean }) => {
      const ledger = await openCommandLedger(options, { mustExist: true });
      try {
        const letter = await ledger.getDeadLetter(id);
        if (!letter)
          throw new FerryError(
            'FERRY_ERR_USAGE',
            `no dead letter ${id} in ${ledger.location}; see \`ferry dlq list\``,
          );
        process.stdout.write(
          options.json ? `${JSON.stringify(letter, null, 2)}\n` : describeDeadLetter(letter),
        );
      } finally {
        await ledger.close();
      }
    });
  dlq
    .command('replay')
    .description('Re-map and resend dead letters of an integration (e.g. after fixing the mapping).')
    .argument('<config>', 'the integration file they belong to')
    .option('--id <ids...>', 'only these dead letter ids')
    .option('--kind <state>', 'only quarantined or only failed ones')
    .option(
      '--state <dir|url>',
      "the ledger: a directory or a postgres:// URL (default: FERRY_STATE, else the integration's)",
    )
    .option('--json', 'print each outcome as JSON on stdout')
    .action(
      async (
        configPath: string,
        options: { id?: string[]; kind?: string; state?: string; json?: boolean },
      ) => {
        const { loadIntegration } = await import('../../integration/load-integration.ts');
        const { replayJob } = await import('../../runtime/replay-job.ts');
        const { loadStateSetting } = await import('../../integration/load-integration.ts');
        const { openLedger } = await import('../../runtime/open-ledger.ts');
        const { locateLedger } = await import('../../runtime/locate-ledger.ts');
        const config = await loadIntegration(configPath);
        const ids = options.id?.map(Number);
        if (ids?.some((n) => !Number.isInteger(n)))
          throw new FerryError('FERRY_ERR_USAGE', '--id takes dead letter ids (numbers)');
        const location = await locateLedger({
          flag: options.state,
          env: process.env,
          config: { file: configPath, setting: () => loadStateSetting(configPath) },
        });
        // Dead letters to replay can only be in an existing ledger.
        const ledger = await openLedger(location, { mustExist: true });
        try {
          // With --json, one array on stdout, written as the letters settle.
          let written = 0;
          const result = await replayJob(config, {
            ledger,
            ...(ids ? { ids } : {}),
            ...(options.kind === 'quarantined' || options.kind === 'failed' ? { kind: options.kind } : {}),
            ...(options.json
              ? {
                  onOutcome: (outcome: ReplayOutcome) =>
                    process.stdout.write(`${written++ === 0 ? '[\n' : ',\n'}${JSON.stringify(outcome)}`),
                }
              : {}),
          });
          if (!result) {
            process.stderr.write('nothing to replay\n');
            return;
          }
          if (options.json) process.stdout.write(written === 0 ? '[]\n' : '\n]\n');
          const c = result.counts;
          process.stderr.write(
            `replayed ${plural(c.read, 'dead letter')}: ${c.delivered} delivered, ${c.skipped} already delivered, ` +
              `${c.quarantined} still invalid, ${c.failed} failed again (run ${result.runId})\n`,
          );
          process.exitCode = exitCodeForRun(result.status);
        } finally {
          await ledger.close();
        }
      },
    );
  withLedgerOptions(
    dlq.command('purge').description('Delete dead letters for good (asks first unless --yes).'),
  )
    .option('--integration <name>', 'all of this integration')
    .option('--id <ids...>', 'only these ids')
    .option('--yes', 'do not ask')
    .action(async (options: LedgerOptions & { integration?: string; id?: string[]; yes?: boolean }) => {
      if (!options.integration && !options.id) {
        throw new FerryError('FERRY_ERR_USAGE', 'say what to purge: --integration NAME and/or --id N...');
      }
      const what = [
        options.integration && `integration ${options.integration}`,
        options.id && `ids ${options.id.join(', ')}`,
      ]
        .filter(Boolean)
        .join(' and ');
      // Opened before asking: a wrong --state fails before anyone confirms anything.
      const ledger = await openCommandLedger(options, { mustExist: true });
      try {
        if (!options.yes) {
          if (!process.stdin.isTTY)
            throw new FerryError('FERRY_ERR_USAGE', 'purge deletes for good: confirm with --yes');
          // node:readline loaded only to ask, not whenever the program's commands are registered.
          const { createInterface } = process.getBuiltinModule('node:readline/promises');
          const rl = createInterface({ input: process.stdin, output: process.stderr });
          const answer = await rl.question(`Delete the dead letters of ${what} for good? [y/N] `);
          rl.close();
          if (!/^y(es)?$/i.test(answer.trim())) {
            process.stderr.write('nothing deleted\n');
            return;
          }
        }
        const count = await ledger.purgeDeadLetters({
          ...(options.integration ? { integration: options.integration } : {}),
          ...(options.id ? { ids: options.id.map(Number) } : {}),
        });
        process.stderr.write(`deleted ${plural(count, 'dead letter')}\n`);
      } finally {
        await ledger.close();
      }
    });
  return dlq;
}
