import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * ferry's directory in the user's cache (`$XDG_CACHE_HOME/ferry`, else `~/.cache/ferry`; FERRY_CACHE_DIR
 * overrides it): what start-up may skip on the next run. Never a shared temporary directory, which another
 * user could write to; nothing in it is needed, so a directory that cannot be written only costs time.
 */
export function userCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.FERRY_CACHE_DIR || join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'ferry');
}
