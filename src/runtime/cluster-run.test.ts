import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadIntegrationConfig } from '../integration/load-integration-config.ts';
import { clusterConcurrency } from './cluster-run.ts';

const env = {
  SOURCE_URL: 'http://127.0.0.1:4010/api/v1/customers',
  DEST_URL: 'http://127.0.0.1:4020/api/v2/orders',
  DEST_TOKEN_URL: 'http://127.0.0.1:4020/oauth/token',
  DEST_CLIENT_ID: 'client',
  DEST_CLIENT_SECRET: 'a-secret-only-for-this-test',
};
const file = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));

describe('clusterConcurrency', () => {
  it("is an adaptive destination's max: the flagship's cluster may send 256 at once, whatever each worker's --concurrency", async () => {
    const config = await loadIntegrationConfig(file('examples/customers-to-orders.yaml'), { env });
    expect(clusterConcurrency(config)).toBe(256);
  });

  it('is a fixed destination.concurrency as written', async () => {
    const config = await loadIntegrationConfig(file('bench/scale-flagship.yaml'), { env });
    expect(clusterConcurrency(config)).toBe(64);
  });
});
