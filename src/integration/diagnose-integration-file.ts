import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { ConfigProblem } from '../config/config-problem.ts';
import { parseYamlTree } from '../config/yaml-tree.ts';
import { FerryError } from '../core/errors.ts';
import { type ConfigDiagnostic, type ConfigEnv, diagnoseTree } from './resolve-integration.ts';

/** What `diagnoseIntegrationFile` found: the config when it is valid, every problem otherwise. */
export type IntegrationDiagnosis = Awaited<ReturnType<typeof diagnoseTree>>;

/** Turns a thrown config error into its listed problems (or one problem naming the file). */
export function diagnosticsOf(error: unknown, file: string): ConfigDiagnostic[] {
  if (!(error instanceof FerryError)) throw error;
  const listed = (error.details as { errors?: ConfigProblem[] }).errors;
  if (listed && listed.length > 0) return listed.map((problem) => ({ ...problem, code: error.code }));
  return [{ file, line: null, column: null, path: '', code: error.code, message: error.message }];
}

/**
 * Reads a YAML integration file and reports every problem in it at once (syntax, references, literal
 * secrets, schema, URLs) instead of throwing at the first step that fails.
 */
export async function diagnoseIntegrationFile(
  path: string,
  options: { readonly env?: ConfigEnv } = {},
): Promise<IntegrationDiagnosis> {
  const absolute = resolve(path);
  const failed = (problems: ConfigDiagnostic[]) => ({ config: null, problems, mappingPath: null });
  let text: string;
  try {
    text = await readFile(absolute, 'utf8');
  } catch (cause) {
    const reason = (cause as { code?: string }).code ?? 'unreadable';
    const message = `cannot read integration file ${path} (${absolute}): ${reason}`;
    return failed([
      { file: path, line: null, column: null, path: '', code: 'FERRY_ERR_CONFIG_NOT_FOUND', message },
    ]);
  }
  let tree: ReturnType<typeof parseYamlTree>;
  try {
    tree = parseYamlTree(text, path);
  } catch (error) {
    return failed(diagnosticsOf(error, path));
  }
  return diagnoseTree(tree.value, tree.positions, {
    file: path,
    baseDir: dirname(absolute),
    ...(options.env === undefined ? {} : { env: options.env }),
  });
}
