import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import {
  connectorDocsDir,
  registeredConnectors,
  renderConnectorIndex,
  renderConnectorPage,
} from './connector-docs.ts';
import { renderConfigurationReference } from './generate-docs.ts';
import { integrationSchemaPath, renderIntegrationJsonSchema } from './integration-json-schema.ts';

/** Where the generated configuration reference lives. */
export const configurationDocPath = resolve(import.meta.dirname, '../../docs/configuration.md');

// Run as a script (`npm run docs`) it regenerates docs/configuration.md, docs/connectors/ and the schema.
if (import.meta.main) {
  writeFileSync(configurationDocPath, renderConfigurationReference());
  console.log(`wrote ${configurationDocPath}`);
  mkdirSync(connectorDocsDir, { recursive: true });
  writeFileSync(join(connectorDocsDir, 'README.md'), renderConnectorIndex());
  for (const { type } of registeredConnectors()) {
    writeFileSync(join(connectorDocsDir, `${type}.md`), renderConnectorPage(type));
  }
  console.log(`wrote ${connectorDocsDir}`);
  mkdirSync(dirname(integrationSchemaPath), { recursive: true });
  writeFileSync(integrationSchemaPath, renderIntegrationJsonSchema());
  // Formatted as the linter wants it; the drift test compares the parsed schema, not the layout.
  const biome = createRequire(import.meta.url).resolve('@biomejs/biome/bin/biome');
  execFileSync(process.execPath, [biome, 'format', '--write', integrationSchemaPath], { stdio: 'ignore' });
  console.log(`wrote ${integrationSchemaPath}`);
}
