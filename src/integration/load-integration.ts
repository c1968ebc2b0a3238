import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { FerryError } from '../core/errors.ts';
import type { IntegrationConfig, IntegrationInput } from './integration-schema.ts';
import { loadIntegrationConfig } from './load-integration-config.ts';
import { type ConfigEnv, resolveIntegration } from './resolve-integration.ts';
import { rawStateSetting, readYamlStateSetting, type StateSetting } from './state-setting.ts';

const CODE_MODULE = /\.(?:ts|mts|js|mjs)$/;

/**
 * Loads an integration from a YAML file, or from a TypeScript/JavaScript module whose default export is a
 * `defineIntegration({...})`: both go through the same validation, references and secret rules.
 */
export async function loadIntegration(
  path: string,
  env: ConfigEnv = process.env,
): Promise<IntegrationConfig> {
  if (!isIntegrationModule(path)) return loadIntegrationConfig(path, { env });
  return resolveIntegration(await importIntegrationModule(path), {
    file: path,
    baseDir: dirname(resolve(path)),
    env,
  });
}

/** True when the path names a TypeScript/JavaScript module rather than a YAML file. */
export function isIntegrationModule(path: string): boolean {
  return CODE_MODULE.test(path);
}

/** Reads only where an integration keeps its ledger (its `state:` key), not needing its secrets. */
export async function loadStateSetting(path: string, env: ConfigEnv = process.env): Promise<StateSetting> {
  if (!isIntegrationModule(path)) return readYamlStateSetting(path, env);
  const input = await importIntegrationModule(path);
  return rawStateSetting(input.state, { file: path, baseDir: dirname(resolve(path)), env });
}

/** Imports an integration module and returns its default export, not yet validated. */
export async function importIntegrationModule(path: string): Promise<IntegrationInput> {
  let module: { default?: unknown };
  try {
    module = (await import(pathToFileURL(resolve(path)).href)) as { default?: unknown };
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message.split('\n')[0] : String(cause);
    throw new FerryError('FERRY_ERR_CONFIG_NOT_FOUND', `cannot load integration module ${path}: ${reason}`, {
      cause,
    });
  }
  if (module.default === null || typeof module.default !== 'object') {
    throw new FerryError(
      'FERRY_ERR_CONFIG_INVALID',
      `${path}: expected a default export made with defineIntegration({...}), found ${module.default === null ? 'null' : typeof module.default}`,
    );
  }
  return module.default as IntegrationInput;
}
