import { readFile } from 'node:fs/promises';
import type { Ajv2020 } from 'ajv/dist/2020.js';
import type { Reason } from '../core/ledger-types.ts';
import { mappingInvalid, type SourceLocation } from './parse-mapping-file.ts';
import { schemaCode } from './schema-code-cache.ts';
import { CODE_KEYWORD, MESSAGE_KEYWORD, schemaErrorsToReasons } from './schema-reasons.ts';

/** Validates one value against a compiled JSON Schema and returns field-level reasons (empty when valid). */
export type SchemaValidator = (value: unknown) => Reason[];

// verbose gives each error its parent schema, where x-message / x-code live.
const AJV_OPTIONS = { allErrors: true, verbose: true, strict: true, allowUnionTypes: true } as const;
/** What else the generated code depends on: cached code made under other options is not this code. */
const CODE_KEY = JSON.stringify({
  ...AJV_OPTIONS,
  formats: 'full',
  keywords: [MESSAGE_KEYWORD, CODE_KEYWORD],
});

/**
 * One ajv per mapping, so two mappings may reuse a schema $id without clashing. Loaded on first use: a run
 * whose schemas' code is cached (schema-code-cache.ts) never loads ajv at all.
 */
async function createAjv(): Promise<Ajv2020> {
  const [{ Ajv2020, _ }, formats] = await Promise.all([import('ajv/dist/2020.js'), import('ajv-formats')]);
  const ajv = new Ajv2020({
    ...AJV_OPTIONS,
    // Standalone code names the formats it checks by this module, as ajv-formats documents.
    code: { source: true, formats: _`require("ajv-formats/dist/formats").fullFormats` },
  });
  // ajv-formats is CommonJS; under nodenext its default import is the module object.
  formats.default.default(ajv);
  ajv.addKeyword({ keyword: MESSAGE_KEYWORD, schemaType: 'string' });
  ajv.addKeyword({ keyword: CODE_KEYWORD, schemaType: 'string' });
  return ajv;
}

/** Loads a mapping's JSON Schema files: from cached code where it can, else through its own ajv. */
export interface SchemaLoader {
  load(
    schemaFile: string,
    mappingFile: string,
    at: SourceLocation,
  ): Promise<{ schema: Record<string, unknown>; validate: SchemaValidator }>;
}

/**
 * A mapping's schema loader: each file read and compiled once; problems name the schema file and the mapping
 * line that cites it. A text compiled before, after the same earlier texts and by the same ajv, loads the code
 * ajv generated then instead: it passed the meta-schema check and compiled, and would again.
 */
export function createSchemaLoader(cache = schemaCode): SchemaLoader {
  let ajv: Promise<Ajv2020> | undefined;
  const texts: string[] = [CODE_KEY];
  const schemas: object[] = [];
  return {
    async load(schemaFile, mappingFile, at) {
      const invalid = (message: string) =>
        mappingInvalid(mappingFile, at.line, at.path, message, at.column ?? null);
      let text: string;
      try {
        text = await readFile(schemaFile, 'utf8');
      } catch (cause) {
        throw invalid(`cannot read JSON Schema ${schemaFile}: ${(cause as Error).message}`);
      }
      let schema: unknown;
      try {
        schema = JSON.parse(text);
      } catch (cause) {
        throw invalid(`${schemaFile} is not valid JSON: ${(cause as Error).message}`);
      }
      if (typeof schema !== 'object' || schema === null || Array.isArray(schema)) {
        throw invalid(`${schemaFile} must hold a JSON Schema object`);
      }
      texts.push(text);
      const key = [...texts];
      let compiled = cache.load(key);
      if (!compiled) {
        ajv ??= createAjvWith(schemas);
        const compiler = await ajv;
        try {
          compiled = compiler.compile(schema);
        } catch (cause) {
          throw invalid(`${schemaFile} does not compile: ${(cause as Error).message}`);
        }
        // CommonJS, as ajv-formats above.
        const standalone = await import('ajv/dist/standalone/index.js');
        cache.store(key, standalone.default.default(compiler, compiled));
      } else if (ajv) {
        // A later schema compiled by this ajv may refer to this one by its $id.
        (await ajv).addSchema(schema);
      }
      schemas.push(schema);
      const validate = compiled;
      return {
        schema: schema as Record<string, unknown>,
        validate: (value) => (validate(value) ? [] : schemaErrorsToReasons(validate.errors)),
      };
    },
  };
}

/** A mapping's ajv, holding the schemas loaded before it was needed (from cached code) for their $ids. */
async function createAjvWith(earlier: readonly object[]): Promise<Ajv2020> {
  const ajv = await createAjv();
  for (const schema of earlier) ajv.addSchema(schema);
  return ajv;
}
