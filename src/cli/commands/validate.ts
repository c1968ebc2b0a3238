import { Command } from 'commander';
import { plural } from '../../core/plural.ts';

/** `ferry validate <config>`: checks the file, its mapping and schemas without touching any API. */
export function validateCommand(): Command {
  return new Command('validate')
    .description('Check an integration file, its mapping and schemas; all errors at once; no API is called.')
    .argument('<config>', 'the integration: a YAML file or a .ts module exporting defineIntegration({...})')
    .option('--json', 'print the result as JSON on stdout')
    .action(async (configPath: string, options: { json?: boolean }) => {
      const { loadIntegration } = await import('../load-integration.ts');
      const { loadMapping } = await import('../../mapping/load-mapping.ts');
      const config = await loadIntegration(configPath);
      const mapping = await loadMapping(config.mappingPath);
      const summary = {
        valid: true,
        integration: config.name,
        source: new URL(config.source.url).origin,
        destination: new URL(config.destination.url).origin,
        mapping: mapping.file,
        fields: mapping.fields.length,
        checks: mapping.checks.length,
      };
      if (options.json) {
        process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
      } else {
        process.stdout.write(
          `${configPath} is valid: integration "${summary.integration}", ${summary.source} -> ${summary.destination}, ` +
            `mapping with ${plural(summary.fields, 'field')} and ${plural(summary.checks, 'extra check')}.\n`,
        );
      }
    });
}
