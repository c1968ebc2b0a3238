import { describe, expect, it } from 'vitest';
import { hasErrorCode } from '../core/errors.ts';
import { faultsFromOptions, type MockIo, mockCommand, runMock } from './mock-command.ts';

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
      'SOURCE_API_KEY',
      'DEST_URL',
      'DEST_TOKEN_URL',
      'DEST_CLIENT_ID',
      'DEST_CLIENT_SECRET',
    ]);
    expect(env.DEST_CLIENT_SECRET).toBe(`'it'\\''s secret'`);
    const customers = await fetch(env.SOURCE_URL as string, { headers: { 'X-API-Key': 'cli-key' } });
    expect(((await customers.json()) as unknown[]).length).toBe(3);
    const graphql = await fetch(env.SOURCE_GRAPHQL_URL as string, {
      method: 'POST',
      headers: { 'X-API-Key': 'cli-key', 'Content-Type': 'application/json' },
      body: JSON.stringify({ query: '{ customers { totalCount } }' }),
    });
    expect(await graphql.json()).toEqual({ data: { customers: { totalCount: 3 } } });
    stop();
    const mocks = await running;
    await expect(fetch(mocks.source?.url as string)).rejects.toThrow();
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
      { count: '1.5' },
      { tokenTtl: '0' },
      { maxPageSize: '0' },
      { endStatus: '200' },
      { serveAtMost: '-1' },
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
  });

  it('declares every documented option', () => {
    const flags = mockCommand().options.map((o) => o.long);
    for (const flag of [
      '--port',
      '--source-port',
      '--dest-port',
      '--count',
      '--seed',
      '--max-page-size',
      '--end-status',
      '--serve-at-most',
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
