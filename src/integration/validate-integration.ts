import { dirname, relative, resolve } from 'node:path';
import { redactSecrets } from '../core/secret-registry.ts';
import { diagnoseMapping } from '../mapping/diagnose-mapping.ts';
import type { CompiledMapping } from '../mapping/mapping-types.ts';
import { whereOf } from './connector-facts.ts';
import { diagnoseIntegrationFile, diagnosticsOf } from './diagnose-integration-file.ts';
import type { IntegrationConfig } from './integration-schema.ts';
import { importIntegrationModule, isIntegrationModule } from './load-integration.ts';
import { type ConfigDiagnostic, type ConfigEnv, diagnoseTree } from './resolve-integration.ts';

/** One finding of `ferry validate`, located in the file it is about. */
export type ValidationEntry = ConfigDiagnostic;

/** The result of `ferry validate`, as `--json` prints it. */
export interface ValidationReport {
  readonly valid: boolean;
  readonly errors: readonly ValidationEntry[];
  /** Likely mistakes that do not stop a run; errors under `--strict`. */
  readonly warnings: readonly ValidationEntry[];
  /** Facts worth knowing that are not problems: variables left unset under `--allow-missing-env`. */
  readonly notes: readonly ValidationEntry[];
  /** What the integration does, when it is valid. */
  readonly integration: {
    readonly name: string;
    readonly source: string;
    readonly destination: string;
    readonly mapping: string;
    readonly fields: number;
    readonly checks: number;
  } | null;
}

/** How strict `validateIntegration` is. */
export interface ValidateOptions {
  /** @default process.env */
  readonly env?: ConfigEnv;
  /** Unset environment variables become notes, not errors: for CI, where no secret is set. @default false */
  readonly allowMissingEnv?: boolean;
  /** Warnings make the integration invalid. @default false */
  readonly strict?: boolean;
  /**
   * Checks the mapping against what the destination declares it takes (a WSDL), once the file and the
   * mapping are valid; the CLI passes the runtime's `checkDestinationMapping`. @default none
   */
  readonly checkDestination?: (
    config: IntegrationConfig,
    mapping: CompiledMapping,
  ) => Promise<{
    readonly errors: readonly ValidationEntry[];
    readonly warnings: readonly ValidationEntry[];
    readonly notes: readonly ValidationEntry[];
  }>;
}

/**
 * Checks an integration (YAML file or module) and its mapping without calling any API, and returns every
 * problem at once: unset variables, literal secrets, schema and URL problems, and the mapping's expressions,
 * functions, fields and schemas.
 */
export async function validateIntegration(
  path: string,
  options: ValidateOptions = {},
): Promise<ValidationReport> {
  const env = options.env ?? process.env;
  const diagnosis = isIntegrationModule(path)
    ? await diagnoseModule(path, env)
    : await diagnoseIntegrationFile(path, { env });
  const errors: ValidationEntry[] = [];
  const notes: ValidationEntry[] = [];
  for (const problem of diagnosis.problems) {
    const entry = clean({ ...problem });
    if (options.allowMissingEnv && problem.code === 'FERRY_ERR_CONFIG_ENV_MISSING') {
      notes.push({ ...entry, message: `${entry.message}; a run needs it` });
    } else errors.push(entry);
  }
  const mapping = diagnosis.mappingPath ? await diagnoseMapping(diagnosis.mappingPath) : null;
  const shown = (file: string) => relative(process.cwd(), file) || file;
  for (const problem of mapping?.errors ?? []) errors.push(clean({ ...problem, file: shown(problem.file) }));
  const warnings = (mapping?.warnings ?? []).map((w) => clean({ ...w, file: shown(w.file) }));
  const config = diagnosis.config;
  if (options.checkDestination && config && mapping?.mapping && errors.length === 0) {
    const found = await options.checkDestination(config, mapping.mapping);
    for (const problem of found.errors) errors.push(clean({ ...problem, file: shown(problem.file) }));
    for (const problem of found.warnings) warnings.push(clean({ ...problem, file: shown(problem.file) }));
    for (const problem of found.notes) notes.push(clean({ ...problem, file: shown(problem.file) }));
  }
  const valid = errors.length === 0 && !(options.strict && warnings.length > 0);
  return {
    valid,
    errors,
    warnings,
    notes,
    integration:
      valid && config && mapping?.mapping
        ? {
            name: config.name,
            source: whereOf(config.source),
            destination: whereOf(config.destination),
            mapping: shown(mapping.mapping.file),
            fields: mapping.mapping.fields.length,
            checks: mapping.mapping.checks.length,
          }
        : null,
  };
}

async function diagnoseModule(path: string, env: ConfigEnv) {
  try {
    const input = await importIntegrationModule(path);
    return await diagnoseTree(input, new Map(), { file: path, baseDir: dirname(resolve(path)), env });
  } catch (error) {
    return { config: null, problems: diagnosticsOf(error, path), mappingPath: null };
  }
}

/** Keeps only the reported fields, every message redacted once more. */
function clean(entry: ValidationEntry): ValidationEntry {
  const { file, line, column, path, code, message } = entry;
  return { file, line, column, path, code, message: redactSecrets(message) };
}
