import { Command } from 'commander';

/** `ferry schema`: prints the JSON Schema of integration files, for editors and other tools. */
export function schemaCommand(): Command {
  return new Command('schema')
    .description(
      'Print the JSON Schema of integration files (also shipped as schema/integration.schema.json).',
    )
    .action(async () => {
      const { renderIntegrationJsonSchema } = await import('../../integration/integration-json-schema.ts');
      process.stdout.write(renderIntegrationJsonSchema());
    });
}
