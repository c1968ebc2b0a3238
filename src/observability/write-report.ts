import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
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
