import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { renderConfigurationReference } from './generate-docs.ts';
import { renderIntegrationJsonSchema } from './integration-json-schema.ts';

/** Where the generated configuration reference lives. */
export const configurationDocPath = resolve(import.meta.dirname, '../../docs/configuration.md');

/** Where the shipped JSON Schema of integration files lives (examples and `ferry init` point to it). */
export const integrationSchemaPath = resolve(import.meta.dirname, '../../schema/integration.schema.json');

// Run as a script (`npx node src/config/write-docs.ts`) it regenerates docs/configuration.md and the schema.
if (import.meta.main) {
  writeFileSync(configurationDocPath, renderConfigurationReference());
  console.log(`wrote ${configurationDocPath}`);
  mkdirSync(dirname(integrationSchemaPath), { recursive: true });
  writeFileSync(integrationSchemaPath, renderIntegrationJsonSchema());
  console.log(`wrote ${integrationSchemaPath}`);
}
