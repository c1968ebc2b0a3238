import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import {
  connectorContext,
  recordingContext,
  type TestContext,
} from '../../../test/support/connector-context.ts';
import { type SoapPackageErp, startSoapPackageErp } from '../../../test/support/soap-package-erp.ts';
import type { OutgoingRecord, SinkConnector } from '../../core/connector-types.ts';
import { type MockErpHandle, type MockErpOptions, startMockErp } from '../../mocks/erp/mock-erp.ts';
import { startMockDestination } from '../../mocks/mock-destination.ts';
import { soapSink } from './sink-spec.ts';

const WSDL_FILE = new URL('../../../examples/schemas/erp-order-service.wsdl', import.meta.url);

let erp: MockErpHandle | undefined;
let other: SoapPackageErp | undefined;
let context: TestContext | undefined;
afterEach(async () => {
  await Promise.all([erp?.close(), other?.close(), context?.close()]);
  erp = other = context = undefined;
});

function order(n: number | string, overrides: Record<string, unknown> = {}) {
  return {
    // Keys out of the schema's order, as a mapping may write them: the WSDL decides the order sent.
    Order: {
      OrderDate: '2026-12-03T14:30:00Z',
      ShipTo: { PostalCode: '12345', Region: 'CA', City: 'Springfield', Street: '1 Main St & Co <b>' },
      Customer: { Email: `c${n}@example.com`, FullName: 'Zoë “Z” O’Brien 🚀', CustomerNumber: `C${n}` },
      OrderNumber: `ORD-${n}`,
      ...overrides,
    },
  };
}

function record(value: unknown, key = 'k'): OutgoingRecord {
  return { key, idempotencyKey: `${key}-idem`, value };
}

function destination(
  target: { url: string; wsdlUrl: string; username: string; password: string },
  extra: Record<string, unknown> = {},
) {
  return {
    wsdl: target.wsdlUrl,
    endpoint: target.url,
    operation: 'CreateOrder',
    security: { username_token: { username: target.username, password: target.password } },
    lookup: { operation: 'GetOrder', request: { OrderNumber: '{Order.OrderNumber}' }, result_path: 'Order' },
    fault_rules: [
      { code: 'VALIDATION_FAILED', action: 'reject' },
      { code: 'DUPLICATE_ORDER', action: 'reconcile' },
      { code: 'AUTHENTICATION_FAILED', action: 'credentials_refused' },
      { code: 'SERVICE_BUSY', action: 'back_off' },
      { code: 'INTERNAL_ERROR', action: 'retry' },
    ],
    retry: { base_delay: '1ms', max_delay: '2ms', max_retry_after: '5ms' },
    // The faults are seeded bursts, not an outage: the breaker stays out of these tests' way.
    circuit_breaker: { consecutive_failures: 1000 },
    // Nor does the adaptive limiter, which would slow down after every busy fault as after a 429.
    rate_limit: { adaptive: false },
    ...extra,
  };
}

async function sinkFor(options: Record<string, unknown>, ctx = connectorContext()): Promise<SinkConnector> {
  context = ctx;
  return soapSink.create(soapSink.options.parse(options), ctx);
}

async function startErp(options: MockErpOptions = {}) {
  erp = await startMockErp({ username: 'ferry', password: 'pa&ss<word> "quoted"', ...options });
  return erp;
}

describe('SOAP destination against the bundled ERP mock', () => {
  it('sends an order in the schema order and namespace, stored equal field by field', async () => {
    const target = await startErp();
    const sink = await sinkFor(destination(target), recordingContext());
    const outcome = await sink.send(record(order(1)));
    expect(outcome).toEqual({ state: 'delivered', attempts: 1 });
    expect(target.orders().map((o) => o.order)).toEqual([
      {
        orderNumber: 'ORD-1',
        customer: { customerNumber: 'C1', fullName: 'Zoë “Z” O’Brien 🚀', email: 'c1@example.com' },
        shipTo: { street: '1 Main St & Co <b>', city: 'Springfield', region: 'CA', postalCode: '12345' },
        orderDate: '2026-12-03T14:30:00Z',
      },
    ]);
    const sent = context?.requests.find((r) => r.endpoint === 'destination');
    expect(sent?.headers.soapaction).toBe('"http://erp.example.com/orders/v1/CreateOrder"');
  });

  it('validates a value against the schema before any send, one reason per element path', async () => {
    const target = await startErp();
    const sink = await sinkFor(destination(target));
    const reasons =
      sink.validate?.(
        order(2, {
          OrderNumber: 'ORDER 2',
          OrderDate: '03/12/2026',
          Customer: { CustomerNumber: 'C2', FullName: '' },
          Coupon: 'X',
        }),
        'create',
      ) ?? [];
    expect(reasons.map((r) => `${r.field}: ${r.code}`)).toEqual([
      'Order/Coupon: wsdl_unexpected',
      'Order/OrderNumber: wsdl_pattern',
      'Order/Customer/FullName: wsdl_length',
      'Order/Customer/Email: wsdl_required',
      'Order/OrderDate: wsdl_type',
    ]);
    expect(reasons[3]?.message).toBe('is required');
    expect(sink.validate?.(order(3), 'create')).toEqual([]);
    expect(target.stats().operations.CreateOrder).toBe(0);
  });

  it('retries busy faults, errors and 503s, and reconciles lost acknowledgements: each order stored once', async () => {
    const target = await startErp({
      seed: 7,
      faults: {
        serviceBusyRate: 0.15,
        internalErrorRate: 0.1,
        unavailableRate: 0.1,
        lostAckRate: 0.1,
        retryAfterSeconds: 0,
      },
    });
    const sink = await sinkFor(
      destination(target, { retry: { max_attempts: 20, base_delay: '1ms', max_delay: '2ms' } }),
      connectorContext(),
    );
    const outcomes = await Promise.all(
      Array.from({ length: 60 }, (_, n) => sink.send(record(order(n), `k${n}`))),
    );
    expect(outcomes.filter((o) => o.state !== 'delivered')).toEqual([]);
    const stats = target.stats();
    expect(stats.ordersStored).toBe(60);
    expect(stats.duplicates).toBe(0);
    expect(stats.faultsInjected.lostAcks).toBeGreaterThan(0);
    expect(stats.faultsInjected.serviceBusy).toBeGreaterThan(0);
    expect(stats.faultsInjected.unavailable).toBeGreaterThan(0);
  });

  it('signs every attempt with a fresh PasswordDigest nonce, so retries are never taken for replays', async () => {
    const target = await startErp({
      passwordType: 'digest',
      seed: 3,
      faults: { serviceBusyRate: 0.3, internalErrorRate: 0.2 },
    });
    const options = destination(target);
    options.security = {
      username_token: { username: target.username, password: target.password, password_type: 'digest' },
    } as never;
    const sink = await sinkFor(options, recordingContext({ maxAttempts: 30 }));
    const outcomes = await Promise.all(
      Array.from({ length: 20 }, (_, n) => sink.send(record(order(n), `k${n}`))),
    );
    expect(outcomes.every((o) => o.state === 'delivered')).toBe(true);
    expect(target.stats().noncesReplayed).toBe(0);
    expect(target.stats().authFailures).toBe(0);
    const bodies = (context?.requests ?? []).map((r) => r.body ?? '');
    expect(bodies.some((b) => b.includes(target.password))).toBe(false);
    const nonces = bodies.map((b) => /<wsse:Nonce[^>]*>([^<]+)</.exec(b)?.[1]);
    expect(new Set(nonces).size).toBe(nonces.length);
  });

  it('reconciles DUPLICATE_ORDER with GetOrder: equal is delivered, different names the elements', async () => {
    const target = await startErp();
    const first = await sinkFor(destination(target));
    await first.send(record(order(5)));
    const again = await soapSink.create(soapSink.options.parse(destination(target)), connectorContext());
    expect(await again.send(record(order(5)))).toEqual({
      state: 'delivered',
      attempts: 1,
      note: 'reconciled: the destination already had this record',
    });
    const changed = await again.send(
      record(
        order(5, { Customer: { CustomerNumber: 'C5', FullName: 'Someone Else', Email: 'c5@example.com' } }),
      ),
    );
    expect(changed).toMatchObject({ state: 'failed', reasons: [{ code: 'destination_holds_different' }] });
    expect(changed.state === 'failed' && changed.reasons[0].message).toMatch(/differs in Customer\/FullName/);
    expect(target.stats().ordersStored).toBe(1);
  });

  it('looks records up: found equal, found different (compare: false fields ignored), not found', async () => {
    const target = await startErp();
    const ctx = connectorContext({ ignoreFields: ['Order.OrderDate'] });
    const sink = await sinkFor(destination(target), ctx);
    await sink.send(record(order(6)));
    expect(await sink.lookup?.(record(order(6, { OrderDate: '2027-01-01T00:00:00Z' })))).toMatchObject({
      found: true,
      matches: true,
    });
    expect(
      await sink.lookup?.(
        record(order(6, { ShipTo: { Street: 'x', City: 'y', Region: 'z', PostalCode: '1' } })),
      ),
    ).toMatchObject({ found: true, matches: false });
    expect(await sink.lookup?.(record(order(7)))).toEqual({ found: false });
  });

  it('dead-letters a record the service refuses with VALIDATION_FAILED, with its FieldErrors as reasons', async () => {
    const target = await startErp();
    // A WSDL looser than the service: ferry lets the value through and the ERP refuses it.
    const loose = (await readFile(WSDL_FILE, 'utf8')).replace(/<xs:pattern value="[^"]*"\/>/, '');
    const dir = await mkdtemp(join(tmpdir(), 'ferry-soap-'));
    await writeFile(join(dir, 'loose.wsdl'), loose);
    const sink = await sinkFor(
      { ...destination(target), wsdl: 'loose.wsdl' },
      connectorContext({ baseDir: dir }),
    );
    const outcome = await sink.send(record(order('x', { OrderNumber: 'NOT-AN-ORDER' })));
    expect(outcome).toMatchObject({
      state: 'failed',
      refused: true,
      reasons: [
        {
          code: 'destination_fault',
          message: expect.stringMatching(/^SOAP fault VALIDATION_FAILED \(Client\)/),
        },
        { code: 'destination_field', field: 'Order/OrderNumber' },
      ],
    });
  });

  it('stops the run on AUTHENTICATION_FAILED without naming the password', async () => {
    const target = await startErp();
    const sink = await sinkFor({
      ...destination(target),
      security: { username_token: { username: 'ferry', password: 'wrong-password-123' } },
    });
    const error = await sink.send(record(order(8))).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'FERRY_ERR_HTTP_UNAUTHORIZED', kind: 'auth' });
    expect(String((error as Error).message)).toMatch(/AUTHENTICATION_FAILED/);
    expect(String((error as Error).message)).not.toContain('wrong-password-123');
  });

  it('speaks SOAP 1.2 when the port is bound to it', async () => {
    const target = await startErp();
    const soap12 = (await readFile(WSDL_FILE, 'utf8')).replace(
      'http://schemas.xmlsoap.org/wsdl/soap/',
      'http://schemas.xmlsoap.org/wsdl/soap12/',
    );
    const dir = await mkdtemp(join(tmpdir(), 'ferry-soap-'));
    await writeFile(join(dir, 'erp12.wsdl'), soap12);
    const sink = await sinkFor(
      { ...destination(target), wsdl: 'erp12.wsdl' },
      recordingContext({ baseDir: dir }),
    );
    expect(await sink.send(record(order(9)))).toEqual({ state: 'delivered', attempts: 1 });
    const sent = context?.requests.find((r) => r.endpoint === 'destination');
    expect(sent?.headers['content-type']).toBe(
      'application/soap+xml; charset=utf-8; action="http://erp.example.com/orders/v1/CreateOrder"',
    );
    // A 1.2 fault is read as well: the duplicate is reconciled.
    expect(await sink.send(record(order(9)))).toMatchObject({
      state: 'delivered',
      note: expect.stringMatching(/reconciled/),
    });
  });

  it('names the operation and the choices when the WSDL has no such operation', async () => {
    const target = await startErp();
    await expect(sinkFor({ ...destination(target), operation: 'CreateOrders' })).rejects.toThrow(
      'destination.operation: port OrderPort has no operation "CreateOrders"; it has CreateOrder, GetOrder',
    );
  });
});

describe('SOAP destination against the soap-package ERP', () => {
  it('delivers, reconciles a duplicate and looks up, with the same configuration', async () => {
    other = await startSoapPackageErp();
    const options = destination(other);
    options.security = {
      username_token: { username: other.username, password: other.password, password_type: 'digest' },
    } as never;
    const sink = await sinkFor(options);
    expect(await sink.send(record(order(1)))).toEqual({ state: 'delivered', attempts: 1 });
    expect(await sink.send(record(order(1)))).toMatchObject({
      state: 'delivered',
      note: expect.stringMatching(/reconciled/),
    });
    expect(await sink.lookup?.(record(order(1)))).toMatchObject({ found: true, matches: true });
    expect(other.orderNumbers()).toEqual(['ORD-1']);
    const wrong = await soapSink.create(
      soapSink.options.parse({
        ...options,
        security: {
          username_token: { username: other.username, password: 'not-it', password_type: 'digest' },
        },
      }),
      connectorContext(),
    );
    await expect(wrong.send(record(order(2)))).rejects.toMatchObject({ code: 'FERRY_ERR_HTTP_UNAUTHORIZED' });
  });
});

describe('ferry check on a SOAP destination', () => {
  it('probes with a lookup: accepted credentials answer, refused ones are named', async () => {
    const target = await startErp();
    const sink = await sinkFor(destination(target));
    expect(await sink.probe?.()).toMatchObject({
      ok: true,
      detail: expect.stringMatching(
        /^GetOrder at .* \(lookup of an identity that does not exist\): answered/,
      ),
    });
    const refused = await soapSink.create(
      soapSink.options.parse({
        ...destination(target),
        security: { username_token: { username: 'x', password: 'not-the-password' } },
      }),
      connectorContext(),
    );
    expect(await refused.probe?.()).toMatchObject({ ok: false, code: 'FERRY_ERR_HTTP_UNAUTHORIZED' });
  });
});

describe('SOAP destination with the shared HTTP auth', () => {
  it('sends HTTP Basic credentials to the endpoint (WSDL included) besides the UsernameToken', async () => {
    const target = await startErp({
      httpAuth: { type: 'basic', username: 'gateway', password: 'gw-s3cret' },
    });
    const sink = await sinkFor(
      destination(target, { auth: { type: 'basic', username: 'gateway', password: 'gw-s3cret' } }),
    );
    expect(await sink.send(record(order(1)))).toEqual({ state: 'delivered', attempts: 1 });
    expect(target.stats().httpAuthFailures).toBe(0);

    // A wrong password: the WSDL read from the file, the send refused with 401 stops the run (exit 3).
    const wrong = await sinkFor({
      ...destination(target, { auth: { type: 'basic', username: 'gateway', password: 'nope' } }),
      wsdl: fileURLToPath(WSDL_FILE),
    });
    const refused = wrong.send(record(order(2)));
    await expect(refused).rejects.toMatchObject({ code: 'FERRY_ERR_HTTP_UNAUTHORIZED' });
    await expect(refused).rejects.toThrow(/401.*destination\.auth/);
    expect(target.orders()).toHaveLength(1);
  });

  it('says the WSDL behind the gateway refused the credentials, without them', async () => {
    const target = await startErp({
      httpAuth: { type: 'basic', username: 'gateway', password: 'gw-s3cret' },
    });
    await expect(sinkFor(destination(target))).rejects.toThrow(/destination\.wsdl: .*401/);
  });

  it('fetches an OAuth access token and sends it as a bearer to the ERP', async () => {
    const issuer = await startMockDestination();
    // The ERP's gateway asks the issuer whether the token is good: listing orders needs a valid one.
    const verify = async (token: string) =>
      (await fetch(issuer.ordersUrl, { headers: { authorization: `Bearer ${token}` } })).status === 200;
    const target = await startErp({ httpAuth: { type: 'bearer', verify } });
    try {
      const sink = await sinkFor(
        destination(target, {
          auth: {
            type: 'oauth2_client_credentials',
            token_url: issuer.tokenUrl,
            client_id: issuer.clientId,
            client_secret: issuer.clientSecret,
          },
        }),
      );
      expect(await sink.send(record(order(1)))).toEqual({ state: 'delivered', attempts: 1 });
      // One for the WSDL's stack, one for the sends'.
      expect(issuer.stats().tokensIssued).toBeGreaterThanOrEqual(1);
      expect(target.stats().httpAuthFailures).toBe(0);
    } finally {
      await issuer.close();
    }
  });
});
