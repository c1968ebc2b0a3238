import { dirname, resolve } from 'node:path';
import { parseYamlTree } from '../config/yaml-tree.ts';
import type { IntegrationConfig } from './integration-schema.ts';
import { type ConfigEnv, type ReadTextFile, resolveTree } from './resolve-integration.ts';

/** Where a YAML text came from and what its references resolve against. */
export interface ParseIntegrationOptions {
  /** Named in every message. */
  readonly file: string;
  /** @default process.env */
  readonly env?: ConfigEnv;
  /** @default the directory of `file` */
  readonly baseDir?: string;
  /** Reads ${file:...} references. @default fs.readFile as UTF-8 */
  readonly readFile?: ReadTextFile;
}

/** Parses and validates the YAML text of an integration; every error names file, line and column. */
export function parseIntegrationConfig(
  text: string,
  options: ParseIntegrationOptions,
): Promise<IntegrationConfig> {
  const tree = parseYamlTree(text, options.file);
  return resolveTree(tree.value, tree.positions, {
    file: options.file,
    baseDir: options.baseDir ?? dirname(resolve(options.file)),
    ...(options.env === undefined ? {} : { env: options.env }),
    ...(options.readFile === undefined ? {} : { readFile: options.readFile }),
  });
}
