import { readFile } from 'node:fs/promises';
import { FerryError } from '../core/errors.ts';
import type { OperatorUser } from '../server/operations/operations-types.ts';
import { isPasswordHash } from '../server/operations/password-hash.ts';

/** The shortest token the operations API takes (as `registerOperations` checks). */
const MIN_TOKEN_LENGTH = 24;

async function readText(path: string, option: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (cause) {
    const { code } = cause as { code?: string };
    throw new FerryError('FERRY_ERR_USAGE', `cannot read ${option} ${path}: ${code ?? String(cause)}`, {
      cause,
    });
  }
}

/**
 * The token of the dashboard and operations API: the first line of `--api-token-file`, else
 * FERRY_API_TOKEN. Never quoted in an error.
 */
export async function readApiToken(
  path: string | undefined,
  env: NodeJS.ProcessEnv,
): Promise<string | undefined> {
  const where = path === undefined ? 'FERRY_API_TOKEN' : `--api-token-file ${path}`;
  const token =
    path === undefined ? env.FERRY_API_TOKEN?.trim() : (await readText(path, '--api-token-file')).trim();
  if (token === undefined || token === '') {
    if (path !== undefined) throw new FerryError('FERRY_ERR_USAGE', `${where} is empty`);
    return undefined;
  }
  if (token.length < MIN_TOKEN_LENGTH || /\s/.test(token)) {
    throw new FerryError(
      'FERRY_ERR_USAGE',
      `${where} must hold one token of at least ${MIN_TOKEN_LENGTH} characters without spaces ` +
        '(make one with `openssl rand -base64 32`)',
    );
  }
  return token;
}

/**
 * The people who may sign in to the dashboard: `--users-file`, else FERRY_USERS_FILE. One `name:hash`
 * a line, the hash as `ferry hash-password` prints it; blank lines and `#` comments are passed over.
 * A bad line is named by its number, never quoted (it may hold a hash).
 */
export async function readUsersFile(
  path: string | undefined,
  env: NodeJS.ProcessEnv,
): Promise<OperatorUser[] | undefined> {
  const file = path ?? (env.FERRY_USERS_FILE || undefined);
  if (file === undefined) return undefined;
  const users: OperatorUser[] = [];
  const lines = (await readText(file, '--users-file')).split(/\r?\n/);
  for (const [index, raw] of lines.entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const where = `--users-file ${file}, line ${index + 1}`;
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon).trim() : '';
    const hash = colon > 0 ? line.slice(colon + 1).trim() : '';
    if (name === '' || !/^[\w.@-]{1,64}$/.test(name)) {
      throw new FerryError(
        'FERRY_ERR_USAGE',
        `${where}: expected NAME:HASH, a name of letters, digits, ".", "_", "-" or "@" (up to 64)`,
      );
    }
    if (!isPasswordHash(hash)) {
      throw new FerryError(
        'FERRY_ERR_USAGE',
        `${where}: the hash of ${name} is not one \`ferry hash-password\` prints (scrypt$...)`,
      );
    }
    if (users.some((user) => user.name === name)) {
      throw new FerryError('FERRY_ERR_USAGE', `${where}: ${name} is listed twice`);
    }
    users.push({ name, passwordHash: hash });
  }
  if (users.length === 0) throw new FerryError('FERRY_ERR_USAGE', `--users-file ${file} lists no user`);
  return users;
}
