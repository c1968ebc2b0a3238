import { hash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { redactValue } from '../core/secret-registry.ts';
import type { IntegrationConfig } from '../integration/integration-schema.ts';

/** Raised when what a page carries, or how a worker reads it, changes shape. */
const PAGE_FORMAT = 1;

/**
 * A short hash of what decides how an integration's records are sent: its name, its destination's settings
 * and its mapping file's text (secrets masked, so the hash reveals none of them). The reader enqueues pages
 * in a queue named with it, and a worker serves the queues of the integrations it has the same way: a
 * worker with another version of the mapping or another destination never sends the reader's pages.
 */
export async function integrationFingerprint(config: IntegrationConfig): Promise<string> {
  const mapping = await readFile(config.mappingPath, 'utf8');
  const shape = {
    format: PAGE_FORMAT,
    name: config.name,
    destination: redactValue(config.destination),
    mapping,
    insecureHttp: config.options.dangerouslyAllowInsecureHttp,
  };
  return hash('sha256', JSON.stringify(shape), 'hex').slice(0, 12);
}
