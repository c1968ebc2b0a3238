import { dirname, resolve } from 'node:path';
import { parseTemplate } from '../config/interpolate.ts';
import { parseYamlTree } from '../config/yaml-tree.ts';
import { FerryError } from '../core/errors.ts';
import { readIntegrationFile } from './read-integration-file.ts';
import type { ConfigEnv } from './resolve-integration.ts';

const URL_LIKE = /^[A-Za-z][A-Za-z0-9+.-]*:\/\//;

/** True when a ledger location is written as a URL (`postgres://...`) rather than a directory. */
export function looksLikeUrl(value: string): boolean {
  return URL_LIKE.test(value);
}

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
    throw new FerryError('FERRY_ERR_CONFIG_INVALID', `${at}: expected a directory path (a non-empty string)`);
  }
  const parsed = parseTemplate(raw);
  if ('error' in parsed) throw new FerryError('FERRY_ERR_CONFIG_INVALID', `${at}: ${parsed.error}`);
  let out = '';
  for (const part of parsed.parts) {
    if ('text' in part) out += part.text;
    else if (part.ref.kind === 'file') {
      throw new FerryError('FERRY_ERR_CONFIG_INVALID', `${at}: \${file:...} is not allowed here`);
    } else {
      const value = where.env[part.ref.name];
      const fallback = part.ref.fallback;
      if (value !== undefined && !(fallback !== undefined && value === '')) out += value;
      else if (fallback !== undefined) out += fallback;
      else {
        throw new FerryError(
          'FERRY_ERR_CONFIG_ENV_MISSING',
          `${at}: environment variable ${part.ref.name} is not set (referenced as \${${part.ref.name}})`,
          { details: { variable: part.ref.name } },
        );
      }
    }
  }
  return { state: resolveStateSetting(out, where.baseDir), baseDir: where.baseDir };
}
