import { readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { customerAt } from '../../src/mocks/customer-data.ts';
import { type MockDestinationHandle, startMockDestination } from '../../src/mocks/mock-destination.ts';
import { flagshipConfig, runFerry } from '../support/ferry-cli.ts';
import {
  distinctiveSecret,
  type Listener,
  removeDir,
  type SeenRequest,
  startListener,
  tempDir,
} from './security-support.ts';

/**
 * Credentials never leave their origin: a pagination link or a redirect to another origin is refused
 * before anything is sent there, and the listener on that other origin never sees the API key or a token.
 */

const apiKey = distinctiveSecret('apikey');
const clientSecret = distinctiveSecret('clientsecret');
const clientId = 'ferry-cross-origin-client';

const open: Array<{ close(): Promise<void> }> = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const thing of open.splice(0)) await thing.close();
  for (const dir of dirs.splice(0)) await removeDir(dir);
});

async function listener(handler: Parameters<typeof startListener>[0]): Promise<Listener> {
  const l = await startListener(handler);
  open.push(l);
  return l;
}

async function destination(): Promise<MockDestinationHandle> {
  const d = await startMockDestination({ clientId, clientSecret });
  open.push(d);
  return d;
}

function customers(from: number, count: number): string {
  return JSON.stringify(Array.from({ length: count }, (_, i) => customerAt(7, from + i)));
}

function json(res: ServerResponse, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(200, { 'content-type': 'application/json', ...headers });
  res.end(body);
}

/** True when any header or the URL of the request carries the secret or a bearer token. */
function carriesCredential(req: SeenRequest, secrets: readonly string[]): boolean {
  const all = `${req.url}\n${JSON.stringify(req.headers)}\n${req.body}`;
  return req.headers.authorization !== undefined || secrets.some((s) => all.includes(s));
}

async function run(env: Record<string, string>) {
  const dir = await tempDir('cross');
  dirs.push(dir);
  const result = await runFerry(
    [
      'run',
      flagshipConfig,
      '--state',
      `${dir}/state`,
      '--report',
      `${dir}/report.json`,
      '--log-format',
      'json',
    ],
    { env },
  );
  const report = await readFile(`${dir}/report.json`, 'utf8').then(
    (t) => JSON.parse(t) as { counts: Record<string, number> },
    () => undefined,
  );
  return { ...result, report };
}

function flagshipEnv(sourceUrl: string, dest: MockDestinationHandle): Record<string, string> {
  return {
    SOURCE_URL: sourceUrl,
    SOURCE_API_KEY: apiKey,
    DEST_URL: dest.ordersUrl,
    DEST_TOKEN_URL: dest.tokenUrl,
    DEST_CLIENT_ID: clientId,
    DEST_CLIENT_SECRET: clientSecret,
  };
}

describe('credentials stay on their origin', () => {
  it('a Link rel="next" to another origin stops the run with exit 3 and the other origin sees nothing', async () => {
    const elsewhere = await listener((_req, res) => json(res, '[]'));
    const source = await listener((req, res) => {
      if (req.headers['x-api-key'] !== apiKey) {
        res.writeHead(401);
        res.end();
        return;
      }
      json(res, customers(0, 5), { link: `<${elsewhere.origin}/api/v1/customers?page=2>; rel="next"` });
    });
    const dest = await destination();
    const result = await run(flagshipEnv(`${source.origin}/api/v1/customers`, dest));

    expect(result.code, result.stderr).toBe(3);
    expect(result.stderr).toContain('FERRY_ERR_HTTP_CROSS_ORIGIN');
    expect(result.stderr).toContain(elsewhere.origin);
    expect(result.stderr).not.toMatch(/^\s+at /m);
    expect(source.requests.length).toBeGreaterThan(0);
    expect(source.requests[0]!.headers['x-api-key']).toBe(apiKey);
    expect(elsewhere.requests).toEqual([]);
  });

  it('a source redirect to another origin is refused and the other origin sees nothing', async () => {
    const elsewhere = await listener((_req, res) => json(res, customers(0, 3)));
    const source = await listener((_req, res) => {
      res.writeHead(302, { location: `${elsewhere.origin}/api/v1/customers` });
      res.end();
    });
    const dest = await destination();
    const result = await run(flagshipEnv(`${source.origin}/api/v1/customers`, dest));

    expect(result.code, result.stderr).toBe(3);
    expect(result.stderr).toContain('FERRY_ERR_HTTP_CROSS_ORIGIN');
    expect(source.requests.length).toBeGreaterThan(0);
    expect(elsewhere.requests).toEqual([]);
  });

  it.each([307, 308])(
    'a destination answering POST with %i to another origin: the listener there never sees a token',
    async (status) => {
      const dest = await destination();
      const elsewhere = await listener((_req, res) => {
        res.writeHead(201, { 'content-type': 'application/json' });
        res.end('{}');
      });
      const redirecting = await listener((req, res) => {
        // Lookups (a new ledger looks each order up first) find nothing, so every order is POSTed.
        if (req.method === 'GET') {
          res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not_found"}');
          return;
        }
        res.writeHead(status, { location: `${elsewhere.origin}${req.url}` });
        res.end();
      });
      const source = await listener((_req, res) => json(res, customers(0, 4)));
      const result = await run({
        ...flagshipEnv(`${source.origin}/api/v1/customers`, dest),
        DEST_URL: `${redirecting.origin}/api/v2/orders`,
      });

      const posts = redirecting.requests.filter((r) => r.method === 'POST');
      expect(posts.length, result.stderr).toBeGreaterThan(0);
      // The redirecting origin is the configured destination: it was sent the token...
      expect(posts.every((r) => /^Bearer \S+$/.test(r.headers.authorization ?? ''))).toBe(true);
      // ...and the other origin was sent nothing at all, let alone a credential.
      expect(elsewhere.requests.filter((r) => carriesCredential(r, [apiKey, clientSecret]))).toEqual([]);
      expect(elsewhere.requests).toEqual([]);
      // A redirect is not a delivery.
      expect(result.code).not.toBe(0);
      expect(result.report?.counts.delivered ?? 0).toBe(0);
      expect(result.report?.counts.failed).toBeGreaterThan(0);
      expect(result.stderr).toContain(`destination_${status}`);
      expect(result.stderr).not.toMatch(/^\s+at /m);
    },
  );

  it('a same-origin source redirect is followed and the new request is authorized again', async () => {
    const source = await listener((req, res) => {
      if (req.url.startsWith('/api/v1/customers')) {
        res.writeHead(301, { location: '/api/v2/customers' });
        res.end();
      } else if (req.url.startsWith('/api/v2/customers') && req.headers['x-api-key'] === apiKey) {
        json(res, customers(0, 6));
      } else {
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end('{"error":"no key"}');
      }
    });
    const dest = await destination();
    const result = await run(flagshipEnv(`${source.origin}/api/v1/customers`, dest));

    expect([0, 1], result.stderr).toContain(result.code);
    const followed = source.requests.filter((r) => r.url.startsWith('/api/v2/customers'));
    expect(followed.length).toBeGreaterThan(0);
    expect(followed.every((r) => r.headers['x-api-key'] === apiKey)).toBe(true);
    expect(result.report?.counts.read).toBe(6);
    expect(dest.stats().ordersStored).toBe(result.report?.counts.delivered);
    expect(result.report?.counts.delivered).toBeGreaterThan(0);
  });
});
