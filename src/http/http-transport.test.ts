import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import {
  type AddressInfo,
  createServer as createNetServer,
  type Server as NetServer,
  type Socket,
} from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki, type TestPki } from '../../test/support/test-pki.ts';
import type { HttpRequest } from '../core/http-types.ts';
import type { HttpObserver } from './http-observer.ts';
import { createHttpTransport } from './http-transport.ts';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
const routes = new Map<string, Handler>();
let server: Server;
let base: string;
let connections = 0;

function listen(s: Server | NetServer): Promise<number> {
  return new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as AddressInfo).port)));
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const handler = routes.get(new URL(req.url ?? '/', 'http://x').pathname);
    if (handler) handler(req, res);
    else res.writeHead(404).end();
  });
  server.on('connection', () => connections++);
  base = `http://127.0.0.1:${await listen(server)}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const get = (path: string, extra: Partial<HttpRequest> = {}): HttpRequest => ({
  method: 'GET',
  url: `${base}${path}`,
  headers: {},
  endpoint: 'test',
  ...extra,
});

routes.set('/ok', (req, res) => {
  res.writeHead(200, { 'Content-Type': 'application/json', 'X-Mixed-Case': 'yes' });
  res.end(JSON.stringify({ method: req.method }));
});
routes.set('/hang', () => {
  // never answers
});
routes.set('/stall-body', (_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.write('{"a":');
});
routes.set('/drip', (_req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' });
  const timer = setInterval(() => {
    if (res.destroyed) clearInterval(timer);
    else res.write('x');
  }, 20);
  res.on('close', () => clearInterval(timer));
});
routes.set('/drip-declared', (_req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '100000' });
  const timer = setInterval(() => {
    if (res.destroyed) clearInterval(timer);
    else res.write('x');
  }, 20);
  res.on('close', () => clearInterval(timer));
});
routes.set('/big-declared', (_req, res) => {
  res.writeHead(200, { 'content-length': String(10_000) });
  res.end(Buffer.alloc(10_000));
});
routes.set('/big-chunked', (_req, res) => {
  res.writeHead(200, { 'content-type': 'application/octet-stream' });
  for (let i = 0; i < 10; i++) res.write(Buffer.alloc(1000));
  res.end();
});
routes.set('/reset', (req) => {
  req.socket.destroy();
});
routes.set('/cut-body', (_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
  res.write('{"a":');
  setTimeout(() => res.socket?.destroy(), 20);
});
routes.set('/slow-body', (_req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.write('{"a":');
});
routes.set('/chunks', (_req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' });
  let i = 0;
  const timer = setInterval(() => {
    if (i === 5) {
      clearInterval(timer);
      res.end('end');
    } else res.write(`part${i++} `);
  }, 5);
});
routes.set('/no-content', (_req, res) => {
  res.writeHead(204).end();
});
routes.set('/repeated-header', (_req, res) => {
  res.setHeader('x-tag', ['a', 'b']);
  res.writeHead(200).end('ok');
});
let countedHits = 0;
routes.set('/counted', (_req, res) => {
  countedHits++;
  res.writeHead(200).end('ok');
});
routes.set('/query', (req, res) => {
  res.writeHead(200).end(req.url);
});
routes.set('/redirect', (_req, res) => {
  res.writeHead(302, { location: '/ok' }).end();
});

describe('createHttpTransport', () => {
  it('reuses one keep-alive socket for many sequential requests', async () => {
    const transport = createHttpTransport({ connections: 1 });
    const before = connections;
    for (let i = 0; i < 25; i++) {
      const res = await transport.send(get('/ok'));
      expect(res.status).toBe(200);
    }
    expect(connections - before).toBe(1);
    await transport.close();
  });

  it('keeps sequential requests on a couple of sockets even when the pool could open more', async () => {
    // undici's pool opens a second client while the first one's drain is pending, then alternates.
    const transport = createHttpTransport({ connections: 8 });
    const before = connections;
    for (let i = 0; i < 25; i++) await transport.send(get('/ok'));
    expect(connections - before).toBeLessThanOrEqual(2);
    await transport.close();
  });

  it('never opens more sockets than the pool allows', async () => {
    const transport = createHttpTransport({ connections: 2 });
    const before = connections;
    await Promise.all(Array.from({ length: 30 }, () => transport.send(get('/ok'))));
    expect(connections - before).toBeLessThanOrEqual(2);
    await transport.close();
  });

  it('lower-cases header names, reads the body and reports the duration', async () => {
    const events: unknown[] = [];
    const observer: HttpObserver = { onResponse: (e) => events.push(e) };
    const transport = createHttpTransport({ observer });
    const res = await transport.send(get('/ok', { attempt: 2 }));
    expect(res.headers['x-mixed-case']).toBe('yes');
    expect(JSON.parse(res.body.toString())).toEqual({ method: 'GET' });
    expect(res.url).toBe(`${base}/ok`);
    expect(events).toEqual([
      { endpoint: 'test', method: 'GET', status: 200, durationMs: expect.any(Number), attempt: 2 },
    ]);
    await transport.close();
  });

  it('gives an empty body for a response without one', async () => {
    const transport = createHttpTransport();
    const res = await transport.send(get('/no-content'));
    expect(res.status).toBe(204);
    expect(res.body.length).toBe(0);
    await transport.close();
  });

  it('joins a repeated response header with commas', async () => {
    const transport = createHttpTransport();
    const res = await transport.send(get('/repeated-header'));
    expect(res.headers['x-tag']).toBe('a, b');
    await transport.close();
  });

  it('sends the path with its query string', async () => {
    const transport = createHttpTransport();
    const res = await transport.send(get('/query?page=2&per_page=10'));
    expect(res.body.toString()).toBe('/query?page=2&per_page=10');
    await transport.close();
  });

  it('stops a request still waiting for a pooled socket when its signal aborts, and never sends it', async () => {
    const transport = createHttpTransport({ connections: 1, headersTimeoutMs: 400 });
    const holder = transport.send(get('/hang'));
    const controller = new AbortController();
    const queued = transport.send(get('/counted', { signal: controller.signal }));
    const before = countedHits;
    setTimeout(() => controller.abort(), 30);
    await expect(queued).rejects.toMatchObject({ code: 'FERRY_ERR_ABORTED' });
    let holderSettled = false;
    void holder.catch(() => undefined).finally(() => (holderSettled = true));
    // Rejected at once, not when the socket it waited for came free.
    expect(holderSettled).toBe(false);
    await expect(holder).rejects.toMatchObject({ code: 'FERRY_ERR_HTTP_TIMEOUT' });
    // The pool goes on with the next request; the aborted one never reached the server.
    expect((await transport.send(get('/counted'))).status).toBe(200);
    expect(countedHits - before).toBe(1);
    await transport.close();
  });

  it('rejects at once a request whose signal was aborted before it was sent', async () => {
    const transport = createHttpTransport();
    const before = countedHits;
    await expect(transport.send(get('/counted', { signal: AbortSignal.abort() }))).rejects.toMatchObject({
      code: 'FERRY_ERR_ABORTED',
    });
    expect(countedHits).toBe(before);
    await transport.close();
  });

  it('does not follow redirects', async () => {
    const transport = createHttpTransport();
    const res = await transport.send(get('/redirect'));
    expect(res.status).toBe(302);
    expect(res.headers.location).toBe('/ok');
    await transport.close();
  });

  it('times out waiting for headers, marking the request as possibly sent', async () => {
    const transport = createHttpTransport({ headersTimeoutMs: 150 });
    await expect(transport.send(get('/hang'))).rejects.toMatchObject({
      code: 'FERRY_ERR_HTTP_TIMEOUT',
      details: { phase: 'headers', sent: true },
    });
    await transport.close();
  });

  it('times out a body that stops arriving', async () => {
    const transport = createHttpTransport({ bodyTimeoutMs: 150 });
    await expect(transport.send(get('/stall-body'))).rejects.toMatchObject({
      code: 'FERRY_ERR_HTTP_TIMEOUT',
      details: { phase: 'body', sent: true },
    });
    await transport.close();
  });

  it('ends a slow drip of bytes with the body deadline', async () => {
    const transport = createHttpTransport({ bodyTimeoutMs: 250 });
    await expect(transport.send(get('/drip'))).rejects.toMatchObject({
      code: 'FERRY_ERR_HTTP_TIMEOUT',
      details: { phase: 'body' },
    });
    await transport.close();
  });

  it('ends a slow drip of a body of declared length with the body deadline', async () => {
    const transport = createHttpTransport({ bodyTimeoutMs: 250 });
    await expect(transport.send(get('/drip-declared'))).rejects.toMatchObject({
      code: 'FERRY_ERR_HTTP_TIMEOUT',
      details: { phase: 'body' },
    });
    await transport.close();
  });

  it('times out a connection whose TLS handshake never completes', async () => {
    const sockets: Socket[] = [];
    // accepts TCP, never speaks TLS
    const silent = createNetServer((socket) => sockets.push(socket));
    const port = await listen(silent);
    const transport = createHttpTransport({ connectTimeoutMs: 150 });
    await expect(transport.send(get('/', { url: `https://127.0.0.1:${port}/` }))).rejects.toMatchObject({
      code: 'FERRY_ERR_HTTP_TIMEOUT',
      details: { phase: 'connect', sent: false },
    });
    await transport.close();
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  it('refuses a body whose declared length is over the limit', async () => {
    const transport = createHttpTransport({ maxResponseBytes: 5000 });
    await expect(transport.send(get('/big-declared'))).rejects.toMatchObject({
      code: 'FERRY_ERR_HTTP_RESPONSE_TOO_LARGE',
      details: { contentLength: 10_000 },
    });
    await transport.close();
  });

  it('stops reading a streamed body past the limit', async () => {
    const transport = createHttpTransport({ maxResponseBytes: 5000 });
    await expect(transport.send(get('/big-chunked'))).rejects.toMatchObject({
      code: 'FERRY_ERR_HTTP_RESPONSE_TOO_LARGE',
    });
    // the pool still works afterwards
    expect((await transport.send(get('/ok'))).status).toBe(200);
    await transport.close();
  });

  it('turns a connection reset into a transient error that may have been sent', async () => {
    const codes: string[] = [];
    const transport = createHttpTransport({ observer: { onNetworkError: (e) => codes.push(e.code) } });
    await expect(
      transport.send(
        get('/reset', { method: 'POST', body: '{"x":1}', headers: { 'content-type': 'application/json' } }),
      ),
    ).rejects.toMatchObject({ code: 'FERRY_ERR_HTTP_TRANSIENT', details: { sent: true, method: 'POST' } });
    expect(codes).toHaveLength(1);
    await transport.close();
  });

  it('turns a refused connection into a transient error that was certainly not sent', async () => {
    const closed = createNetServer();
    const port = await listen(closed);
    await new Promise((resolve) => closed.close(resolve));
    const transport = createHttpTransport();
    await expect(
      transport.send(get('/', { url: `http://127.0.0.1:${port}/x?token=s3cr3tvalue` })),
    ).rejects.toMatchObject({
      code: 'FERRY_ERR_HTTP_TRANSIENT',
      details: { sent: false, networkCode: 'ECONNREFUSED' },
      message: expect.not.stringContaining('s3cr3tvalue'),
    });
    await transport.close();
  });

  it('reads a body that arrives in several chunks, whole and in order', async () => {
    const transport = createHttpTransport();
    const response = await transport.send(get('/chunks'));
    expect(response.body.toString('utf8')).toBe('part0 part1 part2 part3 part4 end');
    await transport.close();
  });

  it('turns a connection cut in the middle of the body into a transient error that was sent', async () => {
    const transport = createHttpTransport();
    await expect(transport.send(get('/cut-body'))).rejects.toMatchObject({
      code: 'FERRY_ERR_HTTP_TRANSIENT',
      details: { sent: true },
    });
    await transport.close();
  });

  it('gives each of many concurrent slow bodies its own deadline', async () => {
    const transport = createHttpTransport({ bodyTimeoutMs: 200 });
    const started = [transport.send(get('/stall-body')), transport.send(get('/drip'))];
    await new Promise((resolve) => setTimeout(resolve, 100));
    // A drip never trips undici's idle timeout: only the body deadline can end it.
    const later = transport.send(get('/drip'));
    const ok = transport.send(get('/ok'));
    expect((await ok).status).toBe(200);
    for (const pending of [...started, later]) {
      await expect(pending).rejects.toMatchObject({
        code: 'FERRY_ERR_HTTP_TIMEOUT',
        details: { phase: 'body' },
      });
    }
    await transport.close();
  });

  it.each([
    ['before any answer', '/hang', 20],
    ['while the body is arriving', '/slow-body', 50],
    ['while a body of declared length is arriving', '/drip-declared', 50],
  ])('stops when the request signal aborts %s', async (_when, path, abortAfterMs) => {
    const transport = createHttpTransport();
    const controller = new AbortController();
    const pending = transport.send(get(path, { signal: controller.signal }));
    setTimeout(() => controller.abort(), abortAfterMs);
    await expect(pending).rejects.toMatchObject({ code: 'FERRY_ERR_ABORTED' });
    await transport.close();
  });

  it("stops every request in flight on one shared signal, as a run's shutdown does, and no other", async () => {
    const transport = createHttpTransport();
    const shutdown = new AbortController();
    // Requests that finish stop watching the signal: the first one sent, and some sent after the hanging ones.
    const first = transport.send(get('/ok', { signal: shutdown.signal }));
    const inFlight = Array.from({ length: 5 }, () =>
      transport.send(get('/hang', { signal: shutdown.signal })),
    );
    const after = Array.from({ length: 3 }, () => transport.send(get('/ok', { signal: shutdown.signal })));
    for (const finished of [first, ...after]) expect((await finished).status).toBe(200);
    const unrelated = new AbortController();
    const other = transport.send(get('/hang', { signal: unrelated.signal }));
    setTimeout(() => shutdown.abort(), 20);
    for (const pending of inFlight)
      await expect(pending).rejects.toMatchObject({ code: 'FERRY_ERR_ABORTED' });
    // A request watching another signal is still waiting for its answer.
    const stillWaiting = await Promise.race([
      other.then(
        () => false,
        () => false,
      ),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 50)),
    ]);
    expect(stillWaiting).toBe(true);
    unrelated.abort();
    await expect(other).rejects.toMatchObject({ code: 'FERRY_ERR_ABORTED' });
    await transport.close();
  });
});

describe('createHttpTransport over TLS', () => {
  let dir: string;
  let cert: string;
  let tlsServer: ReturnType<typeof createHttpsServer>;
  let tlsBase: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ferry-tls-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=ferry-test',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
    tlsServer = createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert }, (_req, res) =>
      res.writeHead(200).end('secure'),
    );
    tlsBase = `https://127.0.0.1:${await listen(tlsServer)}`;
  });
  afterAll(async () => {
    tlsServer.closeAllConnections();
    await new Promise((resolve) => tlsServer.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a certificate it cannot verify', async () => {
    const transport = createHttpTransport();
    await expect(transport.send(get('/', { url: `${tlsBase}/` }))).rejects.toMatchObject({
      code: 'FERRY_ERR_HTTP_TLS',
    });
    await transport.close();
  });

  it('trusts an extra CA bundle while still verifying', async () => {
    const transport = createHttpTransport({ ca: cert });
    const res = await transport.send(get('/', { url: `${tlsBase}/` }));
    expect(res.body.toString()).toBe('secure');
    await transport.close();
  });
});

describe('createHttpTransport to a server that requires a client certificate', () => {
  let pki: TestPki;
  let server: ReturnType<typeof createHttpsServer>;
  let base: string;
  beforeAll(async () => {
    pki = await createTestPki();
    server = createHttpsServer(
      {
        key: pki.serverKey,
        cert: pki.serverCert,
        ca: pki.caCert,
        requestCert: true,
        rejectUnauthorized: true,
      },
      (_req, res) => res.writeHead(200).end('mutual'),
    );
    base = `https://127.0.0.1:${await listen(server)}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await pki.remove();
  });

  it('says a client certificate is required when none is configured, not "other side closed"', async () => {
    const transport = createHttpTransport({ ca: pki.caCert });
    const sent = transport.send(get('/', { url: `${base}/` }));
    await expect(sent).rejects.toMatchObject({ code: 'FERRY_ERR_HTTP_TLS' });
    await expect(sent).rejects.toThrow(/requires a client certificate.*tls\.cert_file and tls\.key_file/);
    await transport.close();
  });

  it('says the server refused the certificate presented when its CA is not trusted there', async () => {
    const transport = createHttpTransport({
      ca: pki.caCert,
      clientCertificate: {
        cert: readFileSync(pki.files.strangerCert, 'utf8'),
        key: readFileSync(pki.files.strangerKey, 'utf8'),
      },
    });
    await expect(transport.send(get('/', { url: `${base}/` }))).rejects.toThrow(
      /did not accept the client certificate presented \(tls\.cert_file\)/,
    );
    await transport.close();
  });

  it('presents the client certificate and gets its answer', async () => {
    const transport = createHttpTransport({
      ca: pki.caCert,
      clientCertificate: { cert: pki.clientCert, key: pki.clientKey },
    });
    const res = await transport.send(get('/', { url: `${base}/` }));
    expect(res.body.toString()).toBe('mutual');
    await transport.close();
  });
});

describe('createHttpTransport with streamBody', () => {
  it('hands a 2xx body over unread, for the caller to read chunk by chunk', async () => {
    const chunk = Buffer.alloc(64 * 1024, 'x');
    const total = 400; // 25 MiB in all, past the default cap of a whole body
    routes.set('/big', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/xml' });
      let written = 0;
      const more = () => {
        while (written < total) {
          written++;
          if (!res.write(chunk)) {
            res.once('drain', more);
            return;
          }
        }
        res.end();
      };
      more();
    });
    // How much a reader that stops pulling keeps in memory is measured end to end: see
    // test/xml-source-memory.e2e.test.ts, where a ten times larger document costs no more heap.
    const transport = createHttpTransport({ maxResponseBytes: 100 * 1024 * 1024 });
    const response = await transport.send(get('/big', { streamBody: true }));
    expect(response.body.length).toBe(0);
    let read = 0;
    for await (const piece of response.bodyStream ?? []) read += piece.length;
    expect(read).toBe(total * chunk.length);
    await transport.close();
  });

  it('reads an error status whole, as without streaming', async () => {
    routes.set('/bad', (_req, res) => res.writeHead(503, { 'retry-after': '1' }).end('busy'));
    const transport = createHttpTransport();
    const response = await transport.send(get('/bad', { streamBody: true }));
    expect([response.status, response.body.toString(), response.bodyStream]).toEqual([
      503,
      'busy',
      undefined,
    ]);
    await transport.close();
  });

  it('fails the read past the size cap, and names a connection dropped mid-body', async () => {
    routes.set('/endless', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/xml' });
      res.write(Buffer.alloc(4096, 'y'));
      res.write(Buffer.alloc(4096, 'y'));
      res.end();
    });
    routes.set('/cut', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/xml' });
      res.write('<Customers><Customer>', () => res.socket?.destroy());
    });
    const transport = createHttpTransport({ maxResponseBytes: 6000 });
    const drain = async (path: string) => {
      const response = await transport.send(get(path, { streamBody: true }));
      for await (const _ of response.bodyStream ?? []) {
        // read it all
      }
    };
    await expect(drain('/endless')).rejects.toMatchObject({ code: 'FERRY_ERR_HTTP_RESPONSE_TOO_LARGE' });
    await expect(drain('/cut')).rejects.toMatchObject({ code: 'FERRY_ERR_HTTP_TRANSIENT' });
    await transport.close();
  });
});
