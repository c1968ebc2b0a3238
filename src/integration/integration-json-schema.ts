import { resolve } from 'node:path';
import { z } from 'zod';
import { integrationSchema } from './integration-schema.ts';

type JsonObject = Record<string, unknown>;

const REFERENCE_DESCRIPTION =
  // biome-ignore lint/suspicious/noTemplateCurlyInString: config reference syntax, not a template
  'A ${VAR}, ${VAR:-default} or ${file:path} reference, resolved when the file is loaded.';

/** A string holding at least one `${...}` reference: allowed wherever a number or boolean is. */
const REFERENCE_STRING: JsonObject = {
  type: 'string',
  pattern: '\\$\\{[^}]+\\}',
  description: REFERENCE_DESCRIPTION,
};

const INTERPOLABLE_TYPES = new Set(['number', 'integer', 'boolean']);

/** Where the shipped JSON Schema of integration files lives (examples and `ferry init` point to it). */
export const integrationSchemaPath = resolve(import.meta.dirname, '../../schema/integration.schema.json');

/** The title editors show for files checked against this schema. */
export const INTEGRATION_SCHEMA_TITLE = 'ferry integration';

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Rewrites a node and its children: drops ferry's internal `ferryKind` metadata and lets a `${...}` string
 * stand wherever a number or boolean is accepted (the reference is resolved, and the schema checks the
 * result, when the file is loaded).
 */
function polish(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(polish);
  if (!isObject(node)) return node;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'ferryKind') continue;
    out[key] = polish(value);
  }
  if (typeof out.type === 'string' && INTERPOLABLE_TYPES.has(out.type) && !('const' in out)) {
    const { description, default: byDefault, ...typed } = out;
    return {
      ...(description === undefined ? {} : { description }),
      ...(byDefault === undefined ? {} : { default: byDefault }),
      anyOf: [typed, REFERENCE_STRING],
    };
  }
  return out;
}

/**
 * The JSON Schema (draft 2020-12) of an integration file as users write it, generated from the zod schema:
 * for editor completion and checks (`# yaml-language-server: $schema=...`). ferry itself validates with the
 * zod schema, which also checks what JSON Schema cannot say (durations, URL policy, secret references).
 */
export function integrationJsonSchema(): JsonObject {
  const generated = z.toJSONSchema(integrationSchema, { io: 'input', unrepresentable: 'any' });
  const polished = polish(generated) as JsonObject;
  const { $schema, ...rest } = polished;
  return { $schema, title: INTEGRATION_SCHEMA_TITLE, ...rest };
}

/** The schema as the shipped file holds it: two-space JSON with a final newline. */
export function renderIntegrationJsonSchema(): string {
  return `${JSON.stringify(integrationJsonSchema(), null, 2)}\n`;
}
