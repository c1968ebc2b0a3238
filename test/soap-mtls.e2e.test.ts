// The SOAP flagship against an ERP that requires a client certificate (mutual TLS), as banks and ERPs
// often do: run as a user runs it, with the certificate and without.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  expectedCustomers,
  type MockErpHandle,
  type MockSourceHandle,
  startMockErp,
  startMockSource,
} from '../src/mocks/index.ts';
import { runFerry } from './support/ferry-cli.ts';
import { createTestPki, type TestPki } from './support/test-pki.ts';

const config = fileURLToPath(new URL('../examples/customers-to-soap-orders.yaml', import.meta.url));
const seed = 77;
const count = 60;

let pki: TestPki;
let source: MockSourceHandle;
let erp: MockErpHandle;
let state: string;
beforeAll(async () => {
  pki = await createTestPki();
  source = await startMockSource({ count, seed });
  erp = await startMockErp({
    seed,
    tls: { key: pki.serverKey, cert: pki.serverCert, ca: pki.caCert },
  });
  state = await mkdtemp(join(tmpdir(), 'ferry-mtls-'));
});
afterAll(async () => {
  await Promise.all([source?.close(), erp?.close()]);
  await Promise.all([pki?.remove(), state && rm(state, { recursive: true, force: true })]);
});

function env(extra: Record<string, string>) {
  return {
    SOURCE_URL: `${source.url}?per_page=50`,
    SOURCE_API_KEY: source.apiKey,
    ERP_URL: erp.url,
    ERP_USERNAME: erp.username,
    ERP_PASSWORD: erp.password,
    ERP_CA_FILE: pki.files.caCert,
    ...extra,
  };
}

const args = (dir: string) => [
  'run',
  config,
  '--state',
  dir,
  '--json',
  '--no-progress',
  '--log-level',
  'warn',
];

describe('customers to SOAP orders over mutual TLS', () => {
  it('fails clearly without a client certificate, sending nothing', async () => {
    expect(erp.url).toMatch(/^https:/);
    const run = await runFerry(args(join(state, 'none')), { env: env({}) });
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(/client certificate/);
    expect(run.stderr).toMatch(/tls\.cert_file/);
    expect(erp.stats().ordersStored).toBe(0);
  }, 60_000);

  it('fails clearly with a certificate the ERP does not trust', async () => {
    const run = await runFerry(args(join(state, 'stranger')), {
      env: env({ ERP_CERT_FILE: pki.files.strangerCert, ERP_KEY_FILE: pki.files.strangerKey }),
    });
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(/client certificate/);
    expect(erp.stats().ordersStored).toBe(0);
  }, 60_000);

  it('delivers every valid customer with the client certificate and key', async () => {
    const run = await runFerry(args(join(state, 'cert')), {
      env: env({ ERP_CERT_FILE: pki.files.clientCert, ERP_KEY_FILE: pki.files.clientKey }),
    });
    expect(run.code, run.stderr.slice(-2000)).toBe(1);
    const report = JSON.parse(run.stdout) as { counts: { delivered: number; failed: number } };
    const want = expectedCustomers(seed, count);
    expect(report.counts.failed).toBe(0);
    expect(erp.stats().ordersStored).toBe(want.distinctValidIds.length);
    expect(erp.stats().duplicates).toBe(0);
  }, 60_000);
});
