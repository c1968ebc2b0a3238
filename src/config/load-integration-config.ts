import { readFile as readFileFromDisk } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { FerryError } from '../core/errors.ts';
import type { IntegrationConfig } from './integration-schema.ts';
import { parseIntegrationConfig } from './parse-integration-config.ts';
import type { ConfigEnv, ReadTextFile } from './resolve-integration.ts';

/** Options of loadIntegrationConfig. */
export interface LoadIntegrationOptions {
  /** @default process.env */
  readonly env?: ConfigEnv;
  /** Reads the file and its ${file:...} references. @default fs.readFile as UTF-8 */
  readonly readFile?: ReadTextFile;
}

/** Reads, parses and validates an integration file; throws FERRY_ERR_CONFIG_NOT_FOUND when it is missing. */
export async function loadIntegrationConfig(
  path: string,
  options: LoadIntegrationOptions = {},
): Promise<IntegrationConfig> {
  const readFile = options.readFile ?? ((p: string) => readFileFromDisk(p, 'utf8'));
  const absolute = resolve(path);
  let text: string;
  try {
    text = await readFile(absolute);
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
  return parseIntegrationConfig(text, {
    file: path,
    baseDir: dirname(absolute),
    readFile,
    ...(options.env === undefined ? {} : { env: options.env }),
  });
}
