import { describe, expect, it } from 'vitest';
import {
  createOrderEnvelope,
  getOrderEnvelope,
  sampleOrder,
  soapHeaders,
  soapOutcome,
} from '../../test/support/erp-envelopes.ts';
import { hasErrorCode } from '../core/errors.ts';
import {
  churnRate,
  erpFaultsFromOptions,
  faultsFromOptions,
  type MockIo,
  mockCommand,
  runMock,
} from './mock-command.ts';

function capture(): { io: MockIo; out: string[]; err: string[]; stop: () => void } {
  const out: string[] = [];
  const err: string[] = [];
  let stop = () => {};
  const stopped = new Promise<void>((resolve) => {
    stop = resolve;
  });
  return { io: { out: (t) => out.push(t), err: (t) => err.push(t), stopped }, out, err, stop };
}

async function untilPrinted(out: string[]): Promise<string> {
  for (let i = 0; i < 200 && out.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  return out.join('');
}

describe('ferry mock', () => {
  it('prints export lines for both mocks that reach them, then closes them when stopped', async () => {
    const { io, out, stop } = capture();
    const running = runMock('all', { count: '3', apiKey: 'cli-key', clientSecret: "it's secret" }, io);
    const text = await untilPrinted(out);
    const env = Object.fromEntries(
      text
        .trim()
        .split('\n')
        .map((line) => line.match(/^export (\w+)=(.*)$/)?.slice(1) as [string, string]),
    );
    expect(Object.keys(env)).toEqual([
      'SOURCE_URL',
      'SOURCE_GRAPHQL_URL',
      'SOURCE_XML_URL',
      'SOURCE_FILE',
      'SOURCE_API_KEY',
      'DEST_URL',
      'DEST_TOKEN_URL',
      'DEST_CLIENT_ID',
      'DEST_CLIENT_SECRET',
      'ERP_URL',
      'ERP_USERNAME',
      'ERP_PASSWORD',
      'WEBHOOK_SECRET',
      'DEST_FILE',
    ]);
    expect(env.WEBHOOK_SECRET).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(env.DEST_FILE).toMatch(/ferry-mock-orders-\d+\.csv$/);
    expect(env.ERP_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/erp\/OrderService$/);
    expect(env.DEST_CLIENT_SECRET).toBe(`'it'\\''s secret'`);
    const customers = await fetch(env.SOURCE_URL as string, { headers: { 'X-API-Key': 'cli-key' } });
    expect(((await customers.json()) as unknown[]).length).toBe(3);
    const csv = await fetch(env.SOURCE_FILE as string, { headers: { 'X-API-Key': 'cli-key' } });
    expect((await csv.text()).split('\r\n')[0]).toBe(
      'customer_id,first_name,last_name,email,street,city,state,zip,phone',
    );
    const graphql = await fetch(env.SOURCE_GRAPHQL_URL as string, {
      method: 'POST',
      headers: { 'X-API-Key': 'cli-key', 'Content-Type': 'application/json' },
      body: JSON.stringify({ query: '{ customers { totalCount } }' }),
    });
    expect(await graphql.json()).toEqual({ data: { customers: { totalCount: 3 } } });
    stop();
    const mocks = await running;
    await expect(fetch(mocks.source?.url as string)).rejects.toThrow();
    await expect(fetch(mocks.erp?.url as string)).rejects.toThrow();
  });

  it('starts the ERP alone with its credentials, password type and SOAP fault rates', async () => {
    const { io, out, stop } = capture();
    // --faults-on gates only the shared fault flags: the ERP-only rates reach the ERP whatever it says.
    const running = runMock(
      'erp',
      {
        erpUsername: 'u',
        erpPassword: "it's",
        passwordType: 'digest',
        serviceBusyRate: '1',
        faultsOn: 'source',
      },
      io,
    );
    const env = Object.fromEntries(
      (await untilPrinted(out))
        .trim()
        .split('\n')
        .map((line) => line.match(/^export (\w+)=(.*)$/)?.slice(1) as [string, string]),
    );
    expect(Object.keys(env)).toEqual(['ERP_URL', 'ERP_USERNAME', 'ERP_PASSWORD']);
    expect(env.ERP_PASSWORD).toBe(`'it'\\''s'`);
    const post = async (type: 'text' | 'digest') => {
      const body = getOrderEnvelope('ORD-1', { username: 'u', password: "it's", type });
      const response = await fetch(env.ERP_URL as string, {
        method: 'POST',
        headers: soapHeaders('GetOrder'),
        body,
      });
      return soapOutcome(response.status, await response.text()).fault?.code;
    };
    expect(await post('text')).toBe('AUTHENTICATION_FAILED');
    expect(await post('digest')).toBe('SERVICE_BUSY');
    stop();
    await running;
  });

  it('gives the ERP the shared faults unless --faults-on leaves it out', async () => {
    const faults = faultsFromOptions({ latencyMs: '5', lostAckRate: '0.1', errorRate: '0.2' });
    expect(erpFaultsFromOptions({ unavailableRate: '0.3' }, faults)).toEqual({
      unavailableRate: 0.3,
      latencyMs: 5,
      lostAckRate: 0.1,
    });
    expect(() => erpFaultsFromOptions({ internalErrorRate: '2' }, {})).toThrow(
      expect.objectContaining({ code: 'FERRY_ERR_USAGE' }),
    );
    const { io, out, stop } = capture();
    const running = runMock('all', { faultsOn: 'both', lostAckRate: '1', json: true }, io);
    const { erp } = JSON.parse(await untilPrinted(out)) as {
      erp: { url: string; username: string; password: string };
    };
    const token = { username: erp.username, password: erp.password, type: 'text' as const };
    const response = await fetch(erp.url, {
      method: 'POST',
      headers: soapHeaders('CreateOrder'),
      body: createOrderEnvelope(sampleOrder(), token),
    });
    // "both" is the source and the destination: the ERP loses no acknowledgement.
    expect(soapOutcome(response.status, await response.text()).values).toContain(
      'CreateOrderResponse/OrderNumber=ORD-1001',
    );
    stop();
    await running;
  });

  it('prints one JSON object with --json', async () => {
    const { io, out, stop } = capture();
    const running = runMock('destination', { json: true, tokenTtl: '2' }, io);
    const parsed = JSON.parse(await untilPrinted(out)) as { destination: { tokenUrl: string }; env: object };
    expect(parsed.destination.tokenUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/oauth\/token$/);
    expect(Object.keys(parsed.env)).toEqual([
      'DEST_URL',
      'DEST_TOKEN_URL',
      'DEST_CLIENT_ID',
      'DEST_CLIENT_SECRET',
    ]);
    stop();
    await running;
  });

  it('refuses bad numbers and combinations with FERRY_ERR_USAGE', async () => {
    const bad = [
      () => faultsFromOptions({ errorRate: '1.5' }),
      () => faultsFromOptions({ latencyMs: 'abc' }),
      () => faultsFromOptions({ retryAfter: 'tomorrow' }),
      () => faultsFromOptions({ rps: '' }),
    ];
    for (const f of bad) expect(() => f()).toThrow(expect.objectContaining({ code: 'FERRY_ERR_USAGE' }));
    for (const options of [
      { port: '3000' },
      { sourcePort: '70000' },
      { erpPort: '-1' },
      { count: '1.5' },
      { tokenTtl: '0' },
      { maxPageSize: '0' },
      { endStatus: '200' },
      { serveAtMost: '-1' },
      { passwordType: 'plain' },
      { faultsOn: 'nowhere' },
      { churn: 'often' },
      { churn: '-3/s' },
    ]) {
      const error = await runMock('all', options, capture().io).catch((e: unknown) => e);
      expect(hasErrorCode(error, 'FERRY_ERR_USAGE')).toBe(true);
    }
    expect(faultsFromOptions({ errorRate: '0.1', retryAfter: 'mixed', rps: '300' })).toEqual({
      errorRate: 0.1,
      retryAfter: 'mixed',
      requestsPerSecond: 300,
    });
    expect(faultsFromOptions({ graphqlErrorRate: '0.05', graphqlPartialRate: '0.1' })).toEqual({
      graphqlErrorRate: 0.05,
      graphqlPartialRate: 0.1,
    });
    expect(() => faultsFromOptions({ graphqlPartialRate: '2' })).toThrow(/--graphql-partial-rate/);
    expect(faultsFromOptions({ redeliverRate: '0.2', redeliverDelayMs: '50' })).toEqual({
      redeliverRate: 0.2,
      redeliverDelayMs: 50,
    });
    expect([churnRate('20/s'), churnRate('600/m'), churnRate('5'), churnRate(undefined)]).toEqual([
      20,
      10,
      5,
      undefined,
    ]);
  });

  it('declares every documented option', () => {
    const flags = mockCommand().options.map((o) => o.long);
    for (const flag of [
      '--port',
      '--source-port',
      '--dest-port',
      '--erp-port',
      '--erp-username',
      '--erp-password',
      '--password-type',
      '--service-busy-rate',
      '--internal-error-rate',
      '--unavailable-rate',
      '--count',
      '--seed',
      '--max-page-size',
      '--end-status',
      '--serve-at-most',
      '--churn',
      '--redeliver-rate',
      '--redeliver-delay-ms',
      '--error-rate',
      '--rate-limited-rate',
      '--retry-after',
      '--latency-ms',
      '--rps',
      '--lost-ack-rate',
      '--graphql-error-rate',
      '--graphql-partial-rate',
      '--token-ttl',
      '--no-idempotency',
      '--allow-duplicates',
      '--api-key',
      '--client-id',
      '--client-secret',
      '--json',
    ])
      expect(flags).toContain(flag);
  });
});
