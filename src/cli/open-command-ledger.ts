import type { Command } from 'commander';
import type { ConfigEnv } from '../integration/resolve-integration.ts';
import type { LedgerLocation } from '../runtime/locate-ledger.ts';
import type { OpenedLedger } from '../runtime/open-ledger.ts';

/** The options every command that opens a ledger without an integration argument takes. */
export interface LedgerOptions {
  state?: string;
  config?: string;
}

/** Adds --state and --config, the two ways to name a ledger on the command line. */
export function withLedgerOptions(command: Command): Command {
  return command
    .option(
      '--state <dir|url>',
      'the ledger: a directory, or a postgres:// URL (default: FERRY_STATE, else the one of --config)',
    )
    .option(
      '--config <file>',
      "the integration whose ledger to use: its file's state: key, else .ferry/ beside the file",
    );
}

/** Where the ledger named by --state, FERRY_STATE or --config is (see locateLedger). */
export async function locateCommandLedger(options: LedgerOptions, env: ConfigEnv): Promise<LedgerLocation> {
  // Loaded when a command runs, not when --help lists it.
  const { locateLedger } = await import('../runtime/locate-ledger.ts');
  const file = options.config;
  return locateLedger({
    flag: options.state,
    env,
    // Loaded only when a --config is given: loading an integration loads every connector's options schema.
    config:
      file === undefined
        ? undefined
        : {
            file,
            setting: async () =>
              (await import('../integration/load-integration.ts')).loadStateSetting(file, env),
          },
  });
}

/**
 * Opens the ledger a command names. Read-only commands pass `mustExist`: they report "no ledger at X"
 * instead of creating an empty one where the user mistakenly looked.
 */
export async function openCommandLedger(
  options: LedgerOptions,
  open: { mustExist: boolean; env?: ConfigEnv },
): Promise<OpenedLedger> {
  const location = await locateCommandLedger(options, open.env ?? process.env);
  const { openLedger } = await import('../runtime/open-ledger.ts');
  return openLedger(location, { mustExist: open.mustExist });
}
