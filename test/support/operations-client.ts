import type { FastifyInstance, LightMyRequestResponse } from 'fastify';

const HOST = '127.0.0.1';

/** The operations API called in-process, as a browser on the server's origin calls it. */
export interface InjectClient {
  get(url: string): Promise<LightMyRequestResponse>;
  /** With the Origin, the session's CSRF cookie and its token, as the pages send them. */
  post(url: string, payload?: Record<string, unknown>): Promise<LightMyRequestResponse>;
}

/** Takes a session (its CSRF cookie and token) from `GET /api/session`, then calls through `inject`. */
export async function injectClient(app: FastifyInstance): Promise<InjectClient> {
  const session = await app.inject({ url: '/api/session', headers: { host: HOST } });
  const cookie = [session.headers['set-cookie'] ?? []]
    .flat()
    .map((c) => String(c).split(';')[0])
    .join('; ');
  const token = (session.json() as { csrfToken: string }).csrfToken;
  return {
    get: (url) => app.inject({ method: 'GET', url, headers: { host: HOST } }),
    post: (url, payload) =>
      app.inject({
        method: 'POST',
        url,
        headers: { host: HOST, origin: `http://${HOST}`, cookie, 'x-csrf-token': token },
        ...(payload === undefined ? {} : { payload }),
      }),
  };
}

/** The operations API of a server at `base` over HTTP, as a script without a token calls it. */
export async function fetchClient(base: string) {
  const session = await fetch(`${base}/api/session`);
  const cookie = session.headers
    .getSetCookie()
    .map((c) => c.split(';')[0])
    .join('; ');
  const token = ((await session.json()) as { csrfToken: string }).csrfToken;
  return {
    get: (path: string) => fetch(`${base}${path}`),
    post: (path: string, body?: unknown) =>
      fetch(`${base}${path}`, {
        method: 'POST',
        headers: {
          origin: base,
          cookie,
          'x-csrf-token': token,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      }),
  };
}

/** Events waiting in the webhook inboxes of a server at `base`, from `GET /api/inbox`. */
export async function pendingEvents(base: string): Promise<number> {
  const inbox = (await (await fetch(`${base}/api/inbox`)).json()) as { items: { pending: number }[] };
  return inbox.items.reduce((sum, i) => sum + i.pending, 0);
}
