import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpRequest, Interceptor } from '../core/http-types.ts';
import { composeSend } from './compose.ts';
import { createHttpTransport, type HttpTransport } from './http-transport.ts';
import { redirectInterceptor } from './redirect-interceptor.ts';

let home: Server;
let other: Server;
let homeBase: string;
let otherBase: string;
const homeSeen: Array<{ url: string; headers: IncomingHttpHeaders }> = [];
const otherSeen: Array<{ url: string; headers: IncomingHttpHeaders }> = [];
let transport: HttpTransport;

async function start(handler: Parameters<typeof createServer>[1]): Promise<[Server, string]> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return [server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`];
}

beforeAll(async () => {
  [other, otherBase] = await start((req, res) => {
    otherSeen.push({ url: req.url ?? '', headers: req.headers });
    res.writeHead(200).end('stolen');
  });
  [home, homeBase] = await start((req, res) => {
    homeSeen.push({ url: req.url ?? '', headers: req.headers });
    const path = req.url ?? '/';
    if (path === '/moved') res.writeHead(301, { location: '/final' }).end();
    else if (path === '/chain') res.writeHead(307, { location: `${homeBase}/moved` }).end();
    else if (path === '/away') res.writeHead(302, { location: `${otherBase}/steal` }).end();
    else if (path === '/loop') res.writeHead(302, { location: '/loop' }).end();
    else if (path === '/post') res.writeHead(307, { location: '/final' }).end();
    else res.writeHead(200).end(`final:${req.headers.authorization ?? 'none'}`);
  });
  transport = createHttpTransport();
});
afterAll(async () => {
  await transport.close();
  for (const s of [home, other]) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
});

/** Stands in for the auth helper's interceptor: credentials only for the allowed origin. */
const fakeAuth: Interceptor = (next) => (req) =>
  next(
    new URL(req.url).origin === homeBase
      ? { ...req, headers: { ...req.headers, authorization: 'Bearer tok-123456' } }
      : req,
  );

const send = () => composeSend(transport, [redirectInterceptor(), fakeAuth]);
const get = (path: string, method: HttpRequest['method'] = 'GET'): HttpRequest => ({
  method,
  url: `${homeBase}${path}`,
  headers: {},
  endpoint: 'customers',
});

describe('redirectInterceptor', () => {
  it('follows same-origin redirects, re-applying auth on each hop', async () => {
    const res = await send()(get('/chain'));
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe('final:Bearer tok-123456');
    expect(res.url).toBe(`${homeBase}/final`);
  });

  it('refuses a redirect to another origin, which never receives a request', async () => {
    otherSeen.length = 0;
    await expect(send()(get('/away'))).rejects.toMatchObject({
      code: 'FERRY_ERR_HTTP_CROSS_ORIGIN',
      details: { targetOrigin: otherBase, status: 302 },
    });
    expect(otherSeen).toEqual([]);
  });

  it('gives up after five redirects', async () => {
    homeSeen.length = 0;
    await expect(send()(get('/loop'))).rejects.toMatchObject({ code: 'FERRY_ERR_HTTP_STATUS' });
    expect(homeSeen).toHaveLength(6);
  });

  it('does not follow redirects for a POST', async () => {
    const res = await send()(get('/post', 'POST'));
    expect(res.status).toBe(307);
  });

  it('rejects, never throws, for a request whose URL does not parse, and sends nothing', async () => {
    let sent = 0;
    const counting: Interceptor = () => async () => {
      sent++;
      throw new Error('not expected');
    };
    const broken = composeSend(transport, [redirectInterceptor(), counting]);
    for (const method of ['POST', 'GET'] as const) {
      let pending: Promise<unknown> | undefined;
      expect(() => {
        pending = broken({ ...get('/x', method), url: 'not a url' });
      }).not.toThrow();
      await expect(pending).rejects.toBeInstanceOf(TypeError);
    }
    expect(sent).toBe(0);
  });
});
