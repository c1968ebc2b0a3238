import { join, resolve } from 'node:path';
import { FerryError } from '../core/errors.ts';
import type { ConfigEnv } from '../integration/resolve-integration.ts';
import { looksLikeUrl, type StateSetting } from '../integration/state-setting.ts';

/** The directory a ledger lives in when nothing names one: beside the integration file. */
export const STATE_DIR_BESIDE_CONFIG = '.ferry';

/** Where a command's ledger is, and which rule chose it (said in messages and the run report). */
export interface LedgerLocation {
  /** Absolute path of the state directory. */
  readonly dir: string;
  /** "--state", "FERRY_STATE", "state: in <file>" or "beside <file>". */
  readonly chosenBy: string;
}

/** A location as given, before it is checked and made absolute. */
interface Given {
  readonly value: string;
  readonly chosenBy: string;
}

/**
 * Picks the ledger of a command: --state, then FERRY_STATE, then the integration file's `state:`, then
 * `.ferry/` beside that file. The same rule for every command, so a cron job run from another directory
 * finds the same ledger instead of starting a new one and sending everything again. `config` is called only
 * when neither the flag nor the variable decides, so `--state` never needs the integration's file.
 */
export async function locateLedger(options: {
  readonly flag?: string | undefined;
  readonly env: ConfigEnv;
  readonly config?: { readonly file: string; readonly setting: () => Promise<StateSetting> } | undefined;
}): Promise<LedgerLocation> {
  const fromEnv = options.env.FERRY_STATE;
  let given: Given;
  if (options.flag !== undefined) given = { value: options.flag, chosenBy: '--state' };
  else if (fromEnv !== undefined && fromEnv !== '') given = { value: fromEnv, chosenBy: 'FERRY_STATE' };
  else if (options.config) {
    const { file } = options.config;
    const setting = await options.config.setting();
    given =
      setting.state === null
        ? { value: join(setting.baseDir, STATE_DIR_BESIDE_CONFIG), chosenBy: `beside ${file}` }
        : { value: setting.state, chosenBy: `state: in ${file}` };
  } else {
    throw new FerryError(
      'FERRY_ERR_USAGE',
      'which ledger? give --state DIR, set FERRY_STATE, or name the integration with --config FILE ' +
        `(its ledger is its file's state: key, else ${STATE_DIR_BESIDE_CONFIG}/ beside it)`,
    );
  }
  if (given.value === '')
    throw new FerryError('FERRY_ERR_USAGE', `${given.chosenBy} is empty: give a directory`);
  if (looksLikeUrl(given.value)) {
    throw new FerryError(
      'FERRY_ERR_USAGE',
      `${given.chosenBy} names ${urlForMessage(given.value)}: ferry keeps its ledger in a directory (SQLite) ` +
        'for now; a database URL is not supported yet. Give a directory.',
      { details: { chosenBy: given.chosenBy } },
    );
  }
  return { dir: resolve(given.value), chosenBy: given.chosenBy };
}

/** Scheme and host only: a database URL often carries a password. */
function urlForMessage(value: string): string {
  try {
    const url = new URL(value);
    return `a URL (${url.protocol}//${url.host}/...)`;
  } catch {
    return `a URL (${value.slice(0, value.indexOf('://') + 3)}...)`;
  }
}
