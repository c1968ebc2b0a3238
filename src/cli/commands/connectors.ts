import { Command } from 'commander';
import { FerryError } from '../../core/errors.ts';

/** `ferry connectors [show TYPE]`: what source and destination types this ferry has, and one's reference. */
export function connectorsCommand(): Command {
  const connectors = new Command('connectors')
    .description('List the source and destination types (`ferry connectors show TYPE` prints one).')
    .option('--json', 'print the list as JSON')
    .action(async (options: { json?: boolean }) => {
      const { registeredConnectors } = await import('../../integration/connector-docs.ts');
      const list = registeredConnectors().map(({ type, source, sink }) => ({
        type,
        source: source?.docs.summary ?? null,
        destination: sink?.docs.summary ?? null,
      }));
      if (options.json) {
        process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
        return;
      }
      const width = Math.max(...list.map((c) => c.type.length));
      for (const c of list) {
        const roles = [c.source ? 'source' : '', c.destination ? 'destination' : '']
          .filter(Boolean)
          .join(', ');
        process.stdout.write(`${c.type.padEnd(width)}  ${roles}\n`);
        if (c.source) process.stdout.write(`${' '.repeat(width)}    source: ${c.source}\n`);
        if (c.destination) process.stdout.write(`${' '.repeat(width)}    destination: ${c.destination}\n`);
      }
      process.stdout.write('\n`ferry connectors show TYPE` prints one in full.\n');
    });
  connectors
    .command('show')
    .description("Print one connector's reference: what it does, its keys and defaults, an example.")
    .argument('<type>', 'a connector type, as `type:` in an integration file')
    .action(async (type: string) => {
      const { registeredConnectors, renderConnectorPage } = await import(
        '../../integration/connector-docs.ts'
      );
      const types = registeredConnectors().map((c) => c.type);
      if (!types.includes(type)) {
        throw new FerryError(
          'FERRY_ERR_USAGE',
          `no connector of type "${type}"; ferry has: ${types.join(', ')}`,
        );
      }
      process.stdout.write(renderConnectorPage(type));
    });
  return connectors;
}
