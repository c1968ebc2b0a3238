import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join, relative, resolve } from 'node:path';
import { parse } from 'yaml';
import { createVerifier, type Verifier } from '../connectors/webhook/signature.ts';
import type { WebhookSourceOptions } from '../connectors/webhook/webhook-options.ts';
import { FerryError } from '../core/errors.ts';
import { redactSecrets } from '../core/secret-registry.ts';
import type { IntegrationConfig } from '../integration/integration-schema.ts';
import { isIntegrationModule, loadIntegration } from '../integration/load-integration.ts';
import type { ConfigEnv } from '../integration/resolve-integration.ts';
import { validateIntegration } from '../integration/validate-integration.ts';
import { loadMapping } from '../mapping/load-mapping.ts';
import type { CompiledMapping } from '../mapping/mapping-types.ts';

/** An integration's webhook endpoint: how to verify what arrives, and what to do with it. */
export interface WebhookEndpoint {
  readonly options: WebhookSourceOptions;
  readonly verify: Verifier;
}

/** An integration ready to serve: its config, its compiled mapping and, for a webhook source, its endpoint. */
export interface LoadedIntegration {
  readonly config: IntegrationConfig;
  /** Absolute path of its file. */
  readonly file: string;
  /** Keys the events of a webhook source as the run will key their records. */
  readonly mapping: CompiledMapping;
  readonly webhook: WebhookEndpoint | undefined;
}

/** One reason `ferry serve` refuses a set of files, located where it can be. */
export interface LoadProblem {
  readonly file: string;
  readonly line?: number | null;
  readonly column?: number | null;
  readonly path?: string;
  readonly code: string;
  readonly message: string;
}

/** Every integration the paths hold, or every problem that keeps them from being served. */
export type LoadResult =
  | { readonly ok: true; readonly integrations: readonly LoadedIntegration[] }
  | { readonly ok: false; readonly problems: readonly LoadProblem[] };

const YAML_FILE = /\.ya?ml$/i;

/** True when a YAML text looks like an integration file (not a mapping or anything else in the folder). */
function looksLikeIntegration(text: string): boolean {
  try {
    const value = parse(text) as unknown;
    return value !== null && typeof value === 'object' && 'version' in value && 'source' in value;
  } catch {
    // A file that does not parse is reported by validation, which names the line.
    return true;
  }
}

/**
 * The integration files the arguments name: files as given, and in each folder the YAML files whose top
 * level has `version` and `source` (mapping files and others are passed over). Not recursive.
 */
export async function findIntegrationFiles(paths: readonly string[]): Promise<{
  files: string[];
  problems: LoadProblem[];
}> {
  const files: string[] = [];
  const problems: LoadProblem[] = [];
  for (const path of paths) {
    const absolute = resolve(path);
    const info = await stat(absolute).catch(() => undefined);
    if (info === undefined) {
      problems.push({ file: path, code: 'FERRY_ERR_CONFIG_NOT_FOUND', message: `${path} does not exist` });
    } else if (info.isDirectory()) {
      const found: string[] = [];
      for (const name of (await readdir(absolute)).sort()) {
        if (!YAML_FILE.test(name)) continue;
        const file = join(absolute, name);
        const text = await readFile(file, 'utf8').catch(() => '');
        if (looksLikeIntegration(text)) found.push(file);
      }
      if (found.length === 0) {
        problems.push({
          file: path,
          code: 'FERRY_ERR_CONFIG_NOT_FOUND',
          message: `${path} holds no integration file (a .yaml or .yml file with version: and source:)`,
        });
      }
      files.push(...found);
    } else if (YAML_FILE.test(absolute) || isIntegrationModule(absolute)) {
      files.push(absolute);
    } else {
      problems.push({
        file: path,
        code: 'FERRY_ERR_USAGE',
        message: `${path} is neither a folder nor an integration file (${extname(path) || 'no extension'})`,
      });
    }
  }
  return { files: [...new Set(files)], problems };
}

/**
 * Loads and validates every integration the paths hold and returns them all, or every problem found in any
 * of them (each file checked in full, as `ferry validate` does): `ferry serve` starts, and a reload takes
 * effect, only when there is none.
 */
export async function loadIntegrations(paths: readonly string[], env: ConfigEnv): Promise<LoadResult> {
  const { files, problems } = await findIntegrationFiles(paths);
  const shown = (file: string) => relative(process.cwd(), file) || file;
  const integrations: LoadedIntegration[] = [];
  for (const file of files) {
    const report = await validateIntegration(file, { env });
    if (!report.valid) {
      problems.push(...report.errors.map((entry) => ({ ...entry, file: entry.file || shown(file) })));
      continue;
    }
    try {
      const config = await loadIntegration(file, env);
      const mapping = await loadMapping(config.mappingPath);
      integrations.push({ config, file, mapping, webhook: webhookEndpointOf(config) });
    } catch (error) {
      problems.push(problemOf(shown(file), error));
    }
  }
  const byName = new Map<string, string[]>();
  for (const { config, file } of integrations) {
    byName.set(config.name, [...(byName.get(config.name) ?? []), shown(file)]);
  }
  for (const [name, where] of byName) {
    if (where.length > 1) {
      problems.push({
        file: where[1]!,
        code: 'FERRY_ERR_CONFIG_INVALID',
        path: 'name',
        message: `the name "${name}" is used by ${where.join(' and ')}; each served integration needs its own`,
      });
    }
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, integrations };
}

function webhookEndpointOf(config: IntegrationConfig): WebhookEndpoint | undefined {
  if (config.source.type !== 'webhook') return undefined;
  // The integration schema parsed this block with the webhook source's own schema.
  const options = config.source.options as WebhookSourceOptions;
  return { options, verify: createVerifier(options.signature.scheme, options.signature.secrets) };
}

function problemOf(file: string, error: unknown): LoadProblem {
  const message = redactSecrets(error instanceof Error ? error.message : String(error));
  return { file, code: error instanceof FerryError ? error.code : 'FERRY_ERR_INTERNAL', message };
}

/** One line per problem, as `ferry serve` prints them when it refuses to start or to reload. */
export function formatLoadProblems(problems: readonly LoadProblem[]): string {
  return problems
    .map((p) => {
      const at = p.line ? `:${p.line}${p.column ? `:${p.column}` : ''}` : '';
      const path = p.path ? ` ${p.path}` : '';
      return `${p.file}${at}${path}: ${p.message} [${p.code}]`;
    })
    .join('\n');
}
