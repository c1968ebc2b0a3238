import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { FerryError } from '../core/errors.ts';
import { compileMapping, type MappingCompileOptions } from './compile-mapping.ts';
import { createSchemaLoader } from './create-schema-validator.ts';
import type { CompiledMapping } from './mapping-types.ts';
import { parseMappingFile } from './parse-mapping-file.ts';

/**
 * Reads a mapping file and compiles it once: key, checks, the output tree as a single JSONata expression, and
 * both JSON Schemas (paths relative to the mapping file). Any problem is a FERRY_ERR_MAPPING_INVALID naming
 * the file, line and field path; a missing mapping file is FERRY_ERR_CONFIG_NOT_FOUND.
 */
export async function loadMapping(
  path: string,
  options: MappingCompileOptions = {},
): Promise<CompiledMapping> {
  const file = resolve(path);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new FerryError(
      'FERRY_ERR_CONFIG_NOT_FOUND',
      `cannot read mapping file ${file}: ${(cause as Error).message}`,
      {
        cause,
        details: { file },
      },
    );
  }
  const spec = parseMappingFile(text, file);
  const schemas = createSchemaLoader();
  const base = dirname(file);
  let input = null;
  if (spec.inputSchema) {
    const schemaFile = resolve(base, spec.inputSchema.file);
    input = { file: schemaFile, ...(await schemas.load(schemaFile, file, spec.inputSchema)) };
  }
  let output = null;
  if (spec.outputSchema) {
    const schemaFile = resolve(base, spec.outputSchema.file);
    output = { file: schemaFile, ...(await schemas.load(schemaFile, file, spec.outputSchema)) };
  }
  return compileMapping(spec, { input, output }, options);
}
