import { dirname, resolve } from 'node:path';
import { parseYamlTree } from '../config/yaml-tree.ts';
import { FerryError } from '../core/errors.ts';
import { interpolateLocation } from './location-interpolation.ts';
import { looksLikeUrl } from './looks-like-url.ts';
import { readIntegrationFile } from './read-integration-file.ts';
import type { ConfigEnv } from './resolve-integration.ts';

/** A `state:` value as a location: a directory resolved against the file's directory, a URL kept as is. */
export function resolveStateSetting(value: string, baseDir: string): string {
  return looksLikeUrl(value) ? value : resolve(baseDir, value);
}

/** What an integration file says about its ledger, read without resolving (or needing) its secrets. */
export interface StateSetting {
  /** The file's `state:` resolved against its directory; null when it has none. */
  readonly state: string | null;
  /** The directory of the file. */
  readonly baseDir: string;
}

/**
 * Reads only the `state:` key of a YAML integration file, with its `${VAR}` references, for commands that
 * need the ledger's location but not the integration (`ferry runs`, `ferry dlq list`): they must not fail
 * for want of a destination secret they never use.
 */
export async function readYamlStateSetting(path: string, env: ConfigEnv): Promise<StateSetting> {
  const { text, absolute } = await readIntegrationFile(path);
  const { value, positions } = parseYamlTree(text, path);
  const raw = (value as { state?: unknown } | null)?.state;
  return rawStateSetting(raw, {
    file: path,
    baseDir: dirname(absolute),
    env,
    line: positions.get('state')?.value?.line,
  });
}

/** Checks and interpolates a raw `state:` value (from YAML or a code module's default export). */
export function rawStateSetting(
  raw: unknown,
  where: { file: string; baseDir: string; env: ConfigEnv; line?: number | undefined },
): StateSetting {
  const at = where.line === undefined ? `${where.file}: state` : `${where.file}:${where.line} state`;
  if (raw === undefined || raw === null) return { state: null, baseDir: where.baseDir };
  if (typeof raw !== 'string' || raw === '') {
    throw new FerryError(
      'FERRY_ERR_CONFIG_INVALID',
      `${at}: expected a directory path or a postgres:// URL (a non-empty string)`,
    );
  }
  const value = interpolateLocation(raw, {
    at,
    env: where.env,
    baseDir: where.baseDir,
    literalPassword: 'refuse',
    invalidCode: 'FERRY_ERR_CONFIG_INVALID',
  });
  return { state: resolveStateSetting(value, where.baseDir), baseDir: where.baseDir };
}
