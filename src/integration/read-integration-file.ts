import { readFile as readFileFromDisk } from 'node:fs/promises';
import { resolve } from 'node:path';
import { FerryError } from '../core/errors.ts';
import type { ReadTextFile } from './resolve-integration.ts';

/** Reads an integration file's text; throws FERRY_ERR_CONFIG_NOT_FOUND naming it when it cannot. */
export async function readIntegrationFile(
  path: string,
  readFile: ReadTextFile = (p) => readFileFromDisk(p, 'utf8'),
): Promise<{ text: string; absolute: string }> {
  const absolute = resolve(path);
  try {
    return { text: await readFile(absolute), absolute };
  } catch (cause) {
    const reason = (cause as { code?: string }).code ?? 'unreadable';
    throw new FerryError(
      'FERRY_ERR_CONFIG_NOT_FOUND',
      `cannot read integration file ${path} (${absolute}): ${reason}`,
      {
        cause,
        details: { file: path },
      },
    );
  }
}
