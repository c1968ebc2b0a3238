import { readFile as readFileFromDisk } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { IntegrationConfig } from './integration-schema.ts';
import { parseIntegrationConfig } from './parse-integration-config.ts';
import { readIntegrationFile } from './read-integration-file.ts';
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
  const { text, absolute } = await readIntegrationFile(path, readFile);
  return parseIntegrationConfig(text, {
    file: path,
    baseDir: dirname(absolute),
    readFile,
    ...(options.env === undefined ? {} : { env: options.env }),
  });
}
