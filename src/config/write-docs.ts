import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { renderConfigurationReference } from './generate-docs.ts';

/** Where the generated configuration reference lives. */
export const configurationDocPath = resolve(import.meta.dirname, '../../docs/configuration.md');

// Run as a script (`npx node src/config/write-docs.ts`) it regenerates docs/configuration.md.
if (import.meta.main) {
  writeFileSync(configurationDocPath, renderConfigurationReference());
  console.log(`wrote ${configurationDocPath}`);
}
