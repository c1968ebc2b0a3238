import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import jsonata from 'jsonata';
import { FerryError } from '../core/errors.ts';
import type { ConfigDiagnostic } from '../integration/resolve-integration.ts';
import { compileMapping } from './compile-mapping.ts';
import { createSchemaLoader } from './create-schema-validator.ts';
import { fieldProblemsAgainstSchema } from './field-problems-against-schema.ts';
import { describeJsonataError } from './guarded-expression.ts';
import { lintExpression } from './lint-expression.ts';
import type { CompiledMapping } from './mapping-types.ts';
import { type MappingSpec, parseMappingFile, type SourceLocation } from './parse-mapping-file.ts';

/** One problem in a mapping file, located like a config problem (path is inside the mapping file). */
export type MappingDiagnostic = ConfigDiagnostic;

/** Everything wrong with a mapping file, and the compiled mapping when nothing is. */
export interface MappingDiagnosis {
  readonly mapping: CompiledMapping | null;
  readonly errors: readonly MappingDiagnostic[];
  /** Likely mistakes that do not stop a run (a field an open input schema does not describe). */
  readonly warnings: readonly MappingDiagnostic[];
}

function fromError(error: unknown, fallbackFile: string): MappingDiagnostic {
  if (!(error instanceof FerryError)) throw error;
  const details = error.details as {
    file?: string;
    line?: number | null;
    column?: number | null;
    field?: string;
    reason?: string;
  };
  return {
    file: details.file ?? fallbackFile,
    line: details.line ?? null,
    column: details.column ?? null,
    path: details.field ?? '',
    code: error.code,
    message: details.reason ?? error.message,
  };
}

/**
 * Checks a mapping file the way `ferry validate` reports it: every expression's syntax, calls to unknown
 * functions, record fields the input schema does not describe, destination fields the output schema does
 * not have or requires, and both schema files; all problems at once, each with its line.
 */
export async function diagnoseMapping(path: string): Promise<MappingDiagnosis> {
  const file = resolve(path);
  let spec: MappingSpec;
  try {
    spec = parseMappingFile(await readFile(file, 'utf8'), file);
  } catch (error) {
    if (error instanceof FerryError) return { mapping: null, errors: [fromError(error, file)], warnings: [] };
    const reason = (error as { code?: string }).code ?? 'unreadable';
    const problem: MappingDiagnostic = {
      file,
      line: null,
      column: null,
      path: '',
      code: 'FERRY_ERR_CONFIG_NOT_FOUND',
      message: `cannot read mapping file ${file}: ${reason}`,
    };
    return { mapping: null, errors: [problem], warnings: [] };
  }

  const errors: MappingDiagnostic[] = [];
  const warnings: MappingDiagnostic[] = [];
  const schemas = createSchemaLoader();
  const loadSchema = async (ref: MappingSpec['inputSchema']) => {
    if (!ref) return null;
    const schemaFile = resolve(dirname(file), ref.file);
    try {
      return { file: schemaFile, ...(await schemas.load(schemaFile, file, ref)) };
    } catch (error) {
      errors.push(fromError(error, file));
      return null;
    }
  };
  const input = await loadSchema(spec.inputSchema);
  const output = await loadSchema(spec.outputSchema);

  const at = (where: SourceLocation, message: string): MappingDiagnostic => ({
    file,
    line: where.line,
    column: where.column ?? null,
    path: where.path,
    code: 'FERRY_ERR_MAPPING_INVALID',
    message,
  });
  const expressions: (SourceLocation & { expr: string })[] = [
    spec.key,
    ...(spec.deleted ? [spec.deleted] : []),
    ...spec.checks,
    ...spec.fields,
  ];
  for (const expression of expressions) {
    let ast: unknown;
    try {
      ast = jsonata(expression.expr).ast();
    } catch (error) {
      const { message, position } = describeJsonataError(error);
      const where = position === null ? '' : ` (at character ${position})`;
      errors.push(at(expression, `the JSONata expression does not compile: ${message}${where}`));
      continue;
    }
    for (const lint of lintExpression(ast, input?.schema ?? null, input?.file)) {
      const where = lint.position === null ? '' : ` (at character ${lint.position})`;
      // A key read from a field the schema does not describe most likely quarantines every record.
      const severity = expression === spec.key ? 'error' : lint.severity;
      (severity === 'error' ? errors : warnings).push(at(expression, `${lint.message}${where}`));
    }
  }
  if (output) {
    for (const problem of fieldProblemsAgainstSchema(spec, output.schema, output.file)) {
      errors.push(fromError(problem, file));
    }
  }
  if (errors.length > 0) return { mapping: null, errors, warnings };
  try {
    return { mapping: compileMapping(spec, { input, output }), errors, warnings };
  } catch (error) {
    return { mapping: null, errors: [fromError(error, file)], warnings };
  }
}
