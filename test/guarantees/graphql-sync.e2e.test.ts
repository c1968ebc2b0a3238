import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { repoRoot, runFerry } from '../support/ferry-cli.ts';
import { type FlagshipMocks, startFlagshipMocks } from '../support/flagship-mocks.ts';
import { auditSync } from '../support/sync-audit.ts';
import { tempDirs } from '../support/temp-dirs.ts';
import { parseReport } from './audit-orders.ts';

const dirs = tempDirs('ferry-graphql-sync-');
afterAll(() => dirs.removeAll());
let mocks: FlagshipMocks | undefined;
afterEach(async () => {
  await mocks?.close();
  mocks = undefined;
});

/** The incremental read as a GraphQL API offers it: the mark goes in a variable of the query. */
const GRAPHQL_SOURCE = `source:
  type: graphql
  url: \${SOURCE_GRAPHQL_URL}
  auth: { type: api_key, in: header, name: X-API-Key, value: "\${SOURCE_API_KEY}" }
  query: |
    query Changed($first: Int, $after: String, $since: String) {
      customers(first: $first, after: $after, updatedSince: $since) {
        edges { cursor node { customer_id first_name last_name email phone updated_at deleted_at address { street city state zip } } }
        pageInfo { hasNextPage endCursor }
      }
    }
  records_path: customers.edges
  pagination: { type: relay, page_size: 100 }
  incremental:
    cursor_field: updated_at
    variable: since
    start: "1970-01-01T00:00:00Z"
    lookback: 5s

`;

/** examples/customers-sync.yaml with its REST source swapped for the GraphQL one above. */
async function graphqlSyncConfig(dir: string): Promise<string> {
  const sync = await readFile(join(repoRoot, 'examples/customers-sync.yaml'), 'utf8');
  const start = sync.indexOf('\nsource:\n') + 1;
  const end = sync.indexOf('\n# The flagship', start) + 1;
  expect(start > 0 && end > start).toBe(true);
  const file = join(dir, 'customers-graphql-sync.yaml');
  await writeFile(
    file,
    (sync.slice(0, start) + GRAPHQL_SOURCE + sync.slice(end))
      .replace('name: customers-sync', 'name: customers-graphql-sync')
      .replace(
        'mapping: ./customers-to-orders.mapping.yaml',
        `mapping: ${join(repoRoot, 'examples/customers-to-orders.mapping.yaml')}`,
      ),
  );
  return file;
}

describe('an incremental GraphQL source', () => {
  it('reads only what changed since the last complete read, and its changes reach the order API', async () => {
    mocks = await startFlagshipMocks({ count: 400, seed: 77, perPage: 100 });
    const running = mocks;
    const dir = await dirs.make();
    const config = await graphqlSyncConfig(dir);
    const args = ['run', config, '--state', join(dir, 'state'), '--json', '--no-progress'];
    const run = async () => {
      const result = await runFerry(args, { env: running.env });
      expect([0, 1], result.stderr.slice(-1500)).toContain(result.code);
      return parseReport(result.stdout, result.stderr);
    };

    const first = await run();
    expect(first.counts.read).toBe(400);

    const changed = new Set(running.source.churn(60).map((event) => event.index)).size;
    const second = await run();
    // The changed customers and the lookback window before the mark, not the data set.
    expect(second.counts.read).toBeGreaterThanOrEqual(changed);
    expect(second.counts.read).toBeLessThan(changed + 30);

    const audit = await auditSync(running.source.customers(), running.destination.orders());
    expect(audit.missing).toEqual([]);
    expect(audit.unexpected).toEqual([]);
    expect(audit.stale).toEqual([]);
    expect(audit.duplicated).toEqual([]);
    const stats = running.destination.stats();
    expect(stats.updates).toBeGreaterThan(0);
    expect(stats.deletes).toBeGreaterThan(0);

    // Nothing changed since: the next run reads the lookback window again and sends nothing.
    const idle = await run();
    expect(idle.counts.delivered).toBe(0);
    expect(idle.counts.skipped + idle.counts.quarantined).toBe(idle.counts.read);
  }, 120_000);
});
