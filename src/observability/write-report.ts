import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { FerryError } from '../core/errors.ts';
import { redactSecrets, redactValue } from '../core/secret-registry.ts';

/**
 * Writes a report as JSON atomically (a temporary file beside it, synced, then renamed), so a reader
 * or a crash never sees half a report; every string is redacted once more on the way out.
 */
export async function writeReport(path: string, report: unknown): Promise<void> {
  try {
    await writeAtomically(path, `${JSON.stringify(redactValue(report), null, 2)}\n`);
  } catch (error) {
    throw new FerryError(
      'FERRY_ERR_REPORT_WRITE',
      redactSecrets(`writing the run report to ${path}: ${String(error)}`),
      {
        cause: error,
        details: { path },
      },
    );
  }
}

/**
 * Checks before a run that its report can be written at `path`: not a directory or a device, in a directory
 * that exists or can be made, and writable. A run that delivered everything must not end on "cannot write
 * the report". Throws FERRY_ERR_REPORT_WRITE naming the path.
 */
export async function checkReportPath(path: string): Promise<void> {
  const fail = (what: string, cause?: unknown) =>
    new FerryError('FERRY_ERR_REPORT_WRITE', `cannot write the run report to ${path}: ${what}`, {
      ...(cause === undefined ? {} : { cause }),
      details: { path },
    });
  try {
    await checkWritable(path, fail);
  } catch (error) {
    if (error instanceof FerryError) throw error;
    throw fail((error as NodeJS.ErrnoException).code ?? String(error), error);
  }
}

async function checkWritable(path: string, fail: (what: string, cause?: unknown) => FerryError) {
  const target = await statOrNull(path);
  if (target !== null && !target.isFile()) {
    throw fail(target.isDirectory() ? 'it is a directory' : 'it is not a regular file');
  }
  // The nearest directory that exists must let us create the missing ones and the file.
  let dir = dirname(resolve(path));
  for (;;) {
    const found = await statOrNull(dir);
    if (found !== null) {
      if (!found.isDirectory()) throw fail(`${dir} is not a directory`);
      break;
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  try {
    await access(dir, constants.W_OK | constants.X_OK);
  } catch (error) {
    throw fail(`${dir} is not writable (${(error as NodeJS.ErrnoException).code ?? String(error)})`, error);
  }
}

async function statOrNull(path: string) {
  try {
    return await stat(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // ENOTDIR: a part of the path is a file; the walk up the directories names it.
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw error;
  }
}

async function writeAtomically(path: string, text: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const handle = await open(tmp, 'w', 0o600);
  try {
    await handle.writeFile(text, 'utf8');
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(tmp, { force: true });
    throw error;
  }
  await handle.close();
  try {
    await rename(tmp, path);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}
