import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVerifier } from '../connectors/webhook/signature.ts';
import { runMockEvents } from './mock-events.ts';

const secret = 'whsec_dGVzdC13ZWJob29rLXNlY3JldC0xMjM0NTY3OA==';
const verify = createVerifier('standard_webhooks', [secret]);
const seen: { id: string; ok: boolean }[] = [];
const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const ok = verify(request.headers, Buffer.concat(chunks)).ok;
    seen.push({ id: String(request.headers['webhook-id']), ok });
    response.writeHead(ok ? 202 : 401).end();
  });
});
let url: string;

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/x`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const io = (out: string[]) => ({
  out: (t: string) => out.push(t),
  err: () => {},
  stopped: new Promise(() => {}),
});

describe('ferry mock events', () => {
  it('sends signed events ferry verifies, forgeries it refuses, and prints what happened as JSON', async () => {
    const out: string[] = [];
    const report = await runMockEvents(
      { url, secret, rate: '200/s', events: '40', forged: '0.5', duplicates: '0.2', count: '10' },
      io(out),
      {},
    );
    expect(report).toMatchObject({ events: 40, givenUp: 0, forgedAccepted: 0 });
    expect(report.forgedRefused).toBe(report.forgedSent);
    expect(report.acknowledged).toBe(40 + report.redeliveries);
    expect(seen.filter((s) => s.id.startsWith('forged_')).every((s) => !s.ok)).toBe(true);
    expect(seen.filter((s) => !s.id.startsWith('forged_')).every((s) => s.ok)).toBe(true);
    expect(JSON.parse(out.join(''))).toEqual(report);
  });

  it('refuses a missing URL or secret and a bad rate as usage errors', async () => {
    await expect(runMockEvents({ secret }, io([]), {})).rejects.toThrow(/--url must be the webhook URL/);
    await expect(runMockEvents({ url }, io([]), {})).rejects.toThrow(/--secret \(or WEBHOOK_SECRET\)/);
    await expect(runMockEvents({ url, secret, rate: 'lots' }, io([]), {})).rejects.toThrow(
      /--rate must be like 50\/s/,
    );
    await expect(runMockEvents({ url, secret, forged: '2' }, io([]), {})).rejects.toThrow(
      /--forged must be a number from 0 to 1/,
    );
  });
});
