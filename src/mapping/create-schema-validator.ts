import { readFile } from 'node:fs/promises';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { Reason } from '../core/ledger-types.ts';
import { mappingInvalid, type SourceLocation } from './parse-mapping-file.ts';
import { schemaChecks } from './schema-check-cache.ts';
import { CODE_KEYWORD, MESSAGE_KEYWORD, schemaErrorsToReasons } from './schema-reasons.ts';

// ajv-formats is CommonJS; under nodenext its default import is the module object.
const addFormats = addFormatsModule.default;

/** Validates one value against a compiled JSON Schema and returns field-level reasons (empty when valid). */
export type SchemaValidator = (value: unknown) => Reason[];

/** One ajv instance per mapping, so two mappings may reuse a schema $id without clashing. */
export function createAjv(): Ajv2020 {
  // verbose gives each error its parent schema, where x-message / x-code live.
  const ajv = new Ajv2020({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true });
  addFormats(ajv);
  ajv.addKeyword({ keyword: MESSAGE_KEYWORD, schemaType: 'string' });
  ajv.addKeyword({ keyword: CODE_KEYWORD, schemaType: 'string' });
  return ajv;
}

/** Reads and compiles a JSON Schema file once; problems name the schema file and the mapping line that cites it. */
export async function loadSchemaValidator(
  ajv: Ajv2020,
  schemaFile: string,
  mappingFile: string,
  at: SourceLocation,
): Promise<{ schema: Record<string, unknown>; validate: SchemaValidator }> {
  let text: string;
  try {
    text = await readFile(schemaFile, 'utf8');
  } catch (cause) {
    throw mappingInvalid(
      mappingFile,
      at.line,
      at.path,
      `cannot read JSON Schema ${schemaFile}: ${(cause as Error).message}`,
      at.column ?? null,
    );
  }
  let schema: unknown;
  try {
    schema = JSON.parse(text);
  } catch (cause) {
    throw mappingInvalid(
      mappingFile,
      at.line,
      at.path,
      `${schemaFile} is not valid JSON: ${(cause as Error).message}`,
      at.column ?? null,
    );
  }
  if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
    throw mappingInvalid(
      mappingFile,
      at.line,
      at.path,
      `${schemaFile} must hold a JSON Schema object`,
      at.column ?? null,
    );
  }
  let compiled: ValidateFunction;
  const checkedBefore = schemaChecks.passed(text);
  const validateSchema = ajv.opts.validateSchema;
  try {
    // A text that passed the meta-schema check before skips it (and the meta-schema's compilation).
    if (checkedBefore) ajv.opts.validateSchema = false;
    compiled = ajv.compile(schema);
    if (!checkedBefore) schemaChecks.remember(text);
  } catch (cause) {
    throw mappingInvalid(
      mappingFile,
      at.line,
      at.path,
      `${schemaFile} does not compile: ${(cause as Error).message}`,
      at.column ?? null,
    );
  } finally {
    ajv.opts.validateSchema = validateSchema;
  }
  const validate: SchemaValidator = (value) =>
    compiled(value) ? [] : schemaErrorsToReasons(compiled.errors);
  return { schema: schema as Record<string, unknown>, validate };
}
