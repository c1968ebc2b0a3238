// The second flagship end to end: customers (REST, API key) to orders in a SOAP ERP, run as a user runs it,
// against the bundled ERP mock with faults and kill -9s, and unchanged against the soap-package ERP.
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  customerAt,
  type ErpOrder,
  expectedCustomers,
  type MockErpHandle,
  type MockSourceHandle,
  startMockErp,
  startMockSource,
} from '../src/mocks/index.ts';
import { killDuringRun } from './guarantees/kill-during-run.ts';
import { runFerry } from './support/ferry-cli.ts';
import { type SoapPackageErp, startSoapPackageErp } from './support/soap-package-erp.ts';

const config = fileURLToPath(new URL('../examples/customers-to-soap-orders.yaml', import.meta.url));
const seed = 2468;

const dirs: string[] = [];
async function stateDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-soap-'));
  dirs.push(dir);
  return dir;
}
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

let source: MockSourceHandle | undefined;
let erp: MockErpHandle | undefined;
let other: SoapPackageErp | undefined;
afterEach(async () => {
  await Promise.all([source?.close(), erp?.close(), other?.close()]);
  source = erp = other = undefined;
});

const runArgs = (state: string) => [
  'run',
  config,
  '--state',
  state,
  '--json',
  '--no-progress',
  '--log-level',
  'warn',
];

function envFor(customers: MockSourceHandle, target: { url: string; username: string; password: string }) {
  return {
    SOURCE_URL: `${customers.url}?per_page=100`,
    SOURCE_API_KEY: customers.apiKey,
    ERP_URL: target.url,
    ERP_USERNAME: target.username,
    ERP_PASSWORD: target.password,
  };
}

const text = (value: unknown) => (typeof value === 'string' ? value : undefined);

/** The order the mapping must make of customer `index`, computed from the mock data alone. */
function expectedOrder(index: number): Omit<ErpOrder, 'orderDate'> {
  const c = customerAt(seed, index);
  const id = String(c.customer_id);
  const phone = text(c.phone)?.trim();
  const address = c.address as Record<string, unknown>;
  return {
    orderNumber: `ORD-${id}`,
    customer: {
      customerNumber: id,
      fullName: [c.first_name, c.last_name]
        .filter((n): n is string => typeof n === 'string')
        .join(' ')
        .replace(/\s+/g, ' ')
        .trim(),
      email: (text(c.email) ?? '').trim(),
      ...(phone ? { phone } : {}),
    },
    shipTo: {
      street: String(address.street).trim(),
      city: String(address.city).trim(),
      region: String(address.state).trim(),
      postalCode: String(address.zip).trim(),
    },
  };
}

/** Every valid customer's order stored exactly once, equal field by field; nothing else stored. */
function audit(orders: readonly ErpOrder[], count: number) {
  const want = expectedCustomers(seed, count);
  const byNumber = new Map<string, ErpOrder[]>();
  for (const order of orders)
    byNumber.set(order.orderNumber, [...(byNumber.get(order.orderNumber) ?? []), order]);
  expect([...byNumber].filter(([, list]) => list.length > 1).map(([n]) => n)).toEqual([]);
  expect(orders.length).toBe(want.distinctValidIds.length);
  const firstIndex = new Map<string, number>();
  for (let i = 0; i < count; i++) {
    const id = customerAt(seed, i).customer_id;
    if (id !== undefined && !firstIndex.has(String(id))) firstIndex.set(String(id), i);
  }
  for (const id of want.distinctValidIds) {
    const stored = byNumber.get(`ORD-${id}`)?.[0];
    expect(stored, `ORD-${id}`).toBeDefined();
    const { orderDate, ...rest } = stored as ErpOrder;
    expect(rest).toEqual(expectedOrder(firstIndex.get(id) as number));
    expect(orderDate).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
  }
}

interface Letter {
  key: string;
  state: string;
  reasons: { field?: string; code: string; message: string }[];
}

async function deadLetters(state: string): Promise<Letter[]> {
  const listed = await runFerry(['dlq', 'list', '--json', '--limit', '10000', '--state', state]);
  expect(listed.code, listed.stderr).toBe(0);
  return JSON.parse(listed.stdout) as Letter[];
}

/**
 * Each dirty customer has one dead letter, quarantined: the WSDL schema's refusals (checked before any
 * send) name element paths, the mapping's own name source fields. None failed: the ERP refused nothing.
 */
async function auditDeadLetters(state: string, count: number) {
  const letters = await deadLetters(state);
  expect(letters.length).toBe(expectedCustomers(seed, count).quarantined);
  expect(letters.filter((l) => l.state !== 'quarantined').map((l) => [l.key, l.reasons])).toEqual([]);
  const bySchema = letters.filter((l) => l.reasons[0]?.code.startsWith('wsdl_'));
  expect(bySchema.length).toBeGreaterThan(0);
  for (const letter of bySchema) {
    for (const reason of letter.reasons) {
      expect(reason.code).toMatch(/^wsdl_/);
      expect(reason.field).toMatch(/^Order\/(Customer|ShipTo)\/[A-Za-z]+$/);
    }
  }
  expect(bySchema.flatMap((l) => l.reasons.map((r) => `${r.field}: ${r.code}`))).toEqual(
    expect.arrayContaining(['Order/ShipTo/City: wsdl_required']),
  );
  // The rest are the mapping's own quarantines: no key, or an implausible email.
  for (const letter of letters.filter((l) => !bySchema.includes(l))) {
    expect(letter.reasons.map((r) => r.field)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^(customer_id|email)$/)]),
    );
  }
}

/** No credential of either side in anything ferry wrote: output, logs, the report, the state directory. */
async function expectNoSecrets(texts: readonly string[], state: string, secrets: readonly string[]) {
  const files: string[] = [];
  for (const name of await readdir(state, { recursive: true })) {
    const content = await readFile(join(state, name)).catch(() => undefined);
    if (content) files.push(content.toString('latin1'));
  }
  for (const secret of secrets) {
    for (const written of [...texts, ...files]) expect(written.includes(secret)).toBe(false);
  }
}

describe('customers to SOAP orders (the second flagship)', () => {
  it('survives busy faults, errors, 503s, lost acknowledgements and three kill -9s: each order stored once', async () => {
    const count = 1500;
    source = await startMockSource({ count, seed });
    erp = await startMockErp({
      seed,
      faults: {
        serviceBusyRate: 0.05,
        internalErrorRate: 0.03,
        unavailableRate: 0.03,
        lostAckRate: 0.02,
        retryAfterSeconds: 0,
        latencyMs: 5,
      },
    });
    const env = envFor(source, erp);
    const state = await stateDir();
    const outputs: string[] = [];
    const target = erp;
    for (const fraction of [0.15, 0.45, 0.75]) {
      const killed = await killDuringRun({
        args: runArgs(state),
        env,
        ordersStored: () => target.stats().ordersStored,
        afterOrders: Math.floor(count * fraction),
        signal: 'SIGKILL',
      });
      outputs.push(killed.result.stdout, killed.result.stderr);
      expect(killed.result.signal).toBe('SIGKILL');
    }
    const final = await runFerry(runArgs(state), { env });
    outputs.push(final.stdout, final.stderr);
    const report = JSON.parse(final.stdout) as {
      status: string;
      counts: { failed: number; quarantined: number };
    };
    expect(report.status, final.stderr.slice(-2000)).toBe('completed_with_errors');
    expect(report.counts.failed).toBe(0);

    const stats = erp.stats();
    expect(stats.duplicates).toBe(0);
    expect(stats.noncesReplayed).toBe(0);
    expect(stats.authFailures).toBe(0);
    expect(stats.faultsInjected.lostAcks).toBeGreaterThan(0);
    expect(stats.faultsInjected.serviceBusy).toBeGreaterThan(0);
    expect(stats.faultsInjected.unavailable).toBeGreaterThan(0);
    audit(
      erp.orders().map((o) => o.order),
      count,
    );
    await auditDeadLetters(state, count);
    await expectNoSecrets(outputs, state, [erp.password, source.apiKey]);
  }, 240_000);

  it('runs unchanged against an ERP built on the soap package: the same orders, the same dead letters', async () => {
    const count = 300;
    source = await startMockSource({ count, seed });
    other = await startSoapPackageErp();
    const state = await stateDir();
    const run = await runFerry(runArgs(state), { env: envFor(source, other) });
    expect(run.code, run.stderr.slice(-2000)).toBe(1);
    expect(other.orderNumbers().length).toBe(expectedCustomers(seed, count).distinctValidIds.length);
    expect(new Set(other.orderNumbers()).size).toBe(other.orderNumbers().length);
    await auditDeadLetters(state, count);
    // A rerun finds everything delivered or known: nothing sent twice.
    const again = await runFerry(runArgs(state), { env: envFor(source, other) });
    expect(again.code, again.stderr.slice(-2000)).toBe(0);
    expect(new Set(other.orderNumbers()).size).toBe(other.orderNumbers().length);
    await expectNoSecrets([run.stdout, run.stderr, again.stdout, again.stderr], state, [other.password]);
  }, 120_000);

  it('stops with exit 3 when the ERP refuses the credentials, naming the variables and not the password', async () => {
    source = await startMockSource({ count: 20, seed });
    erp = await startMockErp({ seed });
    const state = await stateDir();
    const wrong = 'definitely-not-the-password';
    const run = await runFerry(runArgs(state), { env: { ...envFor(source, erp), ERP_PASSWORD: wrong } });
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/AUTHENTICATION_FAILED/);
    expect(erp.stats().ordersStored).toBe(0);
    await expectNoSecrets([run.stdout, run.stderr], state, [wrong, erp.password]);
  });
});
