import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './mock-processes.ts';

const FLAGSHIP = join(ROOT, 'examples/customers-to-orders.yaml');

/**
 * The flagship as a user runs it against a destination that may store a second copy: the same file without
 * `refuses_duplicates: true`, so its first run (a new ledger) looks each order up before sending it. Made
 * from the shipped file at each bench, so the two never drift apart; the mapping path made absolute.
 */
export async function lookupFirstFlagship(): Promise<string> {
  const shipped = readFileSync(FLAGSHIP, 'utf8');
  const variant = shipped
    .replace(/^ {2}refuses_duplicates: true\n/m, '')
    .replace(/^mapping: \.\/(.*)$/m, (_, file: string) => `mapping: ${join(ROOT, 'examples', file)}`);
  if (variant.includes('refuses_duplicates') || !variant.includes(join(ROOT, 'examples'))) {
    throw new Error(`${FLAGSHIP} changed shape: cannot make its lookup-first variant`);
  }
  const dir = await mkdtemp(join(tmpdir(), 'ferry-bench-config-'));
  const file = join(dir, 'customers-to-orders.lookup-first.yaml');
  await writeFile(file, variant);
  return file;
}
