import { constants } from 'node:fs';
import { access, mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { FerryError } from '../core/errors.ts';

function errnoCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

async function statOrNull(path: string) {
  try {
    return await stat(path);
  } catch (error) {
    const code = errnoCode(error) ?? '';
    if (code === 'ENOENT') return null;
    throw unusable(path, WHY[code] ?? `cannot be read (${code || String(error)})`, error);
  }
}

function unusable(path: string, what: string, cause?: unknown): FerryError {
  return new FerryError('FERRY_ERR_STATE_UNUSABLE', `the state directory ${path} ${what}`, {
    ...(cause === undefined ? {} : { cause }),
    details: { path },
  });
}

const WHY: Readonly<Record<string, string>> = {
  EACCES: 'is not writable (permission denied)',
  EPERM: 'is not writable (operation not permitted)',
  EROFS: 'is on a read-only file system',
  ENOTDIR: 'cannot be used: a part of its path is a file, not a directory',
  EEXIST: 'cannot be created: a file is in the way',
  ENOSPC: 'cannot be created: the disk is full',
};

/**
 * The environment error for a file-system refusal met while creating the ledger inside `dir` (a directory
 * that passed the checks but refuses files, such as /sys as root), or undefined for any other error.
 */
export function stateDirRefusal(dir: string, error: unknown): FerryError | undefined {
  const why = WHY[errnoCode(error) ?? ''];
  return why === undefined ? undefined : unusable(dir, why, error);
}

async function checkReadWrite(path: string, dir: string, what: string): Promise<void> {
  try {
    await access(path, constants.R_OK | constants.W_OK);
  } catch (error) {
    const code = errnoCode(error) ?? '';
    throw unusable(dir, `${WHY[code] ?? `is not usable (${code || String(error)})`}${what}`, error);
  }
}

/**
 * Checks, before anything is written, that `dir` can hold a ledger whose database is `dbFile`, creating the
 * directory unless `mustExist`. A file system that cannot (not a directory, read-only, no permission) is an
 * environment problem named with its path (FERRY_ERR_STATE_UNUSABLE), not a failure inside SQLite; with
 * `mustExist`, a missing ledger is FERRY_ERR_STATE_NOT_FOUND. Returns whether the database is new.
 */
export async function prepareStateDir(
  dir: string,
  dbFile: string,
  options: { mustExist?: boolean } = {},
): Promise<{ readonly created: boolean }> {
  const notFound = () =>
    new FerryError('FERRY_ERR_STATE_NOT_FOUND', `no ledger at ${dir} (no ${dbFile} there)`, {
      details: { path: dir },
    });
  const dirStat = await statOrNull(dir);
  if (dirStat === null) {
    if (options.mustExist) throw notFound();
    try {
      await mkdir(dir, { recursive: true, mode: 0o700 });
    } catch (error) {
      const code = errnoCode(error) ?? '';
      throw unusable(dir, WHY[code] ?? `cannot be created (${code || String(error)})`, error);
    }
  } else if (!dirStat.isDirectory()) {
    throw unusable(dir, 'is not a directory');
  }
  const dbStat = await statOrNull(join(dir, dbFile));
  if (dbStat === null && options.mustExist) throw notFound();
  if (dbStat !== null && !dbStat.isFile()) throw unusable(dir, `holds a ${dbFile} that is not a file`);
  // SQLite writes its -wal and -shm files beside the database, even to read it.
  await checkReadWrite(dir, dir, '');
  if (dbStat !== null) await checkReadWrite(join(dir, dbFile), dir, ` (its ${dbFile})`);
  return { created: dbStat === null };
}
