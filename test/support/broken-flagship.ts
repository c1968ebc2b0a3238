import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { flagshipConfig } from './ferry-cli.ts';

const examples = fileURLToPath(new URL('../../examples/', import.meta.url));

/**
 * Writes the flagship with a mapping bug the destination catches into `dir`: no output schema, and an empty
 * region, so every valid order is refused with a 400 and dead-lettered as failed. Returns the config path.
 */
export async function writeBrokenFlagship(dir: string): Promise<string> {
  const mapping = (await readFile(join(examples, 'customers-to-orders.mapping.yaml'), 'utf8'))
    .replace(
      'schema: ./schemas/customer.schema.json',
      `schema: ${join(examples, 'schemas/customer.schema.json')}`,
    )
    .replace(/\n {2}schema: \.\/schemas\/order\.schema\.json/, '')
    .replace(/(\n {6}region:\n {8}expr: ).*/, '$1\'""\'');
  const config = (await readFile(flagshipConfig, 'utf8')).replace(
    /^mapping: .*$/m,
    `mapping: ${join(dir, 'broken.mapping.yaml')}`,
  );
  await writeFile(join(dir, 'broken.mapping.yaml'), mapping);
  await writeFile(join(dir, 'broken.yaml'), config);
  return join(dir, 'broken.yaml');
}
