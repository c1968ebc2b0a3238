import { join } from 'node:path';
import { FerryError } from '../core/errors.ts';
import { interpolateLocation } from '../integration/location-interpolation.ts';
import { looksLikeUrl } from '../integration/looks-like-url.ts';
import type { ConfigEnv } from '../integration/resolve-integration.ts';
import type { StateSetting } from '../integration/state-setting.ts';
import { checkLedgerUrlKind, type LedgerLocation, parseLedgerLocation } from './ledger-location.ts';

export type { LedgerLocation } from './ledger-location.ts';

/** The directory a ledger lives in when nothing names one: beside the integration file. */
export const STATE_DIR_BESIDE_CONFIG = '.ferry';

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
 *
 * A location is a directory (SQLite) or a `postgres://` URL. A URL's password comes from PGPASSWORD, a
 * `${file:...}` reference in the URL, or an environment variable holding the URL (FERRY_STATE, or
 * `state: ${DATABASE_URL}`); written literally on the command line or in the file it is refused.
 */
export async function locateLedger(options: {
  readonly flag?: string | undefined;
  readonly env: ConfigEnv;
  readonly config?: { readonly file: string; readonly setting: () => Promise<StateSetting> } | undefined;
}): Promise<LedgerLocation> {
  const { env } = options;
  const fromEnv = env.FERRY_STATE;
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
    // The file's value was interpolated and checked as it was read.
    return parseLedgerLocation(given.value, given.chosenBy, env);
  } else {
    throw new FerryError(
      'FERRY_ERR_USAGE',
      'which ledger? give --state DIR, set FERRY_STATE, or name the integration with --config FILE (its ' +
        `ledger is its file's state: key, else ${STATE_DIR_BESIDE_CONFIG}/ beside it); --state and FERRY_STATE ` +
        'also take a postgres:// URL',
    );
  }
  if (given.value === '')
    throw new FerryError('FERRY_ERR_USAGE', `${given.chosenBy} is empty: give a directory or a URL`);
  // A directory is taken as written; a URL may reference its password (${file:...}).
  if (looksLikeUrl(given.value)) checkLedgerUrlKind(given.value, given.chosenBy);
  const value = looksLikeUrl(given.value)
    ? interpolateLocation(given.value, {
        at: given.chosenBy,
        env,
        baseDir: process.cwd(),
        literalPassword: given.chosenBy === 'FERRY_STATE' ? 'allow' : 'refuse',
        invalidCode: 'FERRY_ERR_USAGE',
      })
    : given.value;
  return parseLedgerLocation(value, given.chosenBy, env);
}
