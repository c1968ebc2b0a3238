import { dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { IntegrationConfig, IntegrationInput } from '../config/integration-schema.ts';
import { loadIntegrationConfig } from '../config/load-integration-config.ts';
import { type ConfigEnv, resolveIntegration } from '../config/resolve-integration.ts';
import { FerryError } from '../core/errors.ts';

const CODE_MODULE = /\.(?:ts|mts|js|mjs)$/;

/**
 * Loads an integration from a YAML file, or from a TypeScript/JavaScript module whose default export is a
 * `defineIntegration({...})`: both go through the same validation, references and secret rules.
 */
export async function loadIntegration(
  path: string,
  env: ConfigEnv = process.env,
): Promise<IntegrationConfig> {
  if (!CODE_MODULE.test(path)) return loadIntegrationConfig(path, { env });
  const absolute = resolve(path);
  let module: { default?: unknown };
  try {
    module = (await import(pathToFileURL(absolute).href)) as { default?: unknown };
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
  return resolveIntegration(module.default as IntegrationInput, {
    file: path,
    baseDir: dirname(absolute),
    env,
  });
}
