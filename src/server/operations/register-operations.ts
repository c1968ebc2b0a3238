import { randomBytes } from 'node:crypto';
import fastifyCookie from '@fastify/cookie';
import fastifyCsrf from '@fastify/csrf-protection';
import fastifyFormbody from '@fastify/formbody';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { FerryError } from '../../core/errors.ts';
import {
  allowedHostNames,
  assertSafeAccess,
  createSessionStore,
  createSignInThrottle,
  hostNameOf,
  signIn,
  tokenMatches,
} from './access.ts';
import { type ApiRoute, apiError, apiRoutes } from './api-routes.ts';
import { loadAssets } from './assets.ts';
import { createEventStream, type EventStreamOptions } from './event-stream.ts';
import { buildOpenApiDocument } from './openapi.ts';
import { createOperationsActions } from './operations-actions.ts';
import { createOperationsReader } from './operations-reader.ts';
import type { OperationsDeps } from './operations-types.ts';
import { registerPages } from './page-routes.ts';
import { errorBody } from './pages/error-page.ts';
import { layout, type PageContext } from './pages/layout.ts';
import { loginBody } from './pages/login-page.ts';

/** Options beyond the dependencies, mostly for tests. */
export interface OperationsOptions {
  readonly eventStream?: EventStreamOptions;
  /** The API's version in the OpenAPI document. @default '1' */
  readonly version?: string;
}

const SESSION_COOKIE = 'ferry_session';
const CSRF_COOKIE = 'ferry_csrf';

/** The strict policy every response carries: scripts and styles from this server only, nothing inline. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; " +
    "font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
};

/** What a CSRF token is bound to: the session, or a constant before signing in (empty is refused). */
function csrfUserInfo(request: FastifyRequest): string {
  return request.cookies[SESSION_COOKIE] || 'signed-out';
}

type Auth = { readonly user: string | null; readonly via: 'none' | 'bearer' | 'session' };

/**
 * The dashboard and the operations API, as one fastify plugin on `app`: `/api/...` (described at
 * `/api/openapi.json`), the pages at `/`, `/runs`, `/records`, `/dead-letters`, `/replays`, `/login`, and their
 * assets at `/assets/`. Everything it registers sits in its own scope, behind a Host allow-list,
 * authentication when configured, CSRF tokens and same-origin checks on POSTs, and a strict CSP; the
 * rest of the server (webhooks, health, metrics) is untouched. Throws FERRY_ERR_UNSAFE_BINDING before
 * registering anything when `deps.access` would expose it without authentication.
 */
export async function registerOperations(
  app: FastifyInstance,
  deps: OperationsDeps,
  options: OperationsOptions = {},
): Promise<void> {
  assertSafeAccess(deps.access);
  const { access } = deps;
  const authRequired = access.token !== undefined || (access.users?.length ?? 0) > 0;
  const hosts = allowedHostNames(access);
  const sessions = createSessionStore();
  const throttle = createSignInThrottle();
  const assets = loadAssets();
  const logger = deps.logger ?? app.log;
  const auths = new WeakMap<FastifyRequest, Auth>();
  const cookieOptions = {
    path: '/',
    sameSite: 'strict' as const,
    httpOnly: true,
    secure: access.secureCookies === true,
  };

  await app.register(async (scope) => {
    if (!scope.hasDecorator('parseCookie')) await scope.register(fastifyCookie);
    if (!scope.hasContentTypeParser('application/x-www-form-urlencoded'))
      await scope.register(fastifyFormbody);
    await scope.register(fastifyCsrf, {
      cookieKey: CSRF_COOKIE,
      cookieOpts: cookieOptions,
      getToken: (request) =>
        (request.body as { _csrf?: string } | undefined)?._csrf ??
        (request.headers['x-csrf-token'] as string | undefined),
      // Bound to the session, so a token seen before signing in does not work after it.
      getUserInfo: (request) => csrfUserInfo(request),
      csrfOpts: { hmacKey: randomBytes(32).toString('base64'), userInfo: true },
    });

    const stream = createEventStream(deps.control, options.eventStream);
    const reader = createOperationsReader(deps.ledger, deps.control);
    const actions = createOperationsActions({ ledger: deps.ledger, control: deps.control, logger });
    const authOf = (request: FastifyRequest): Auth => auths.get(request) ?? { user: null, via: 'none' };
    const operator = (request: FastifyRequest) => authOf(request).user ?? 'local';
    const csrfToken = (reply: FastifyReply) => reply.generateCsrf({ userInfo: csrfUserInfo(reply.request) });
    const pageContext = (request: FastifyRequest, reply: FastifyReply): PageContext => ({
      csrf: csrfToken(reply),
      user: authOf(request).user,
    });
    const isApi = (request: FastifyRequest) => request.url.startsWith('/api/');
    const refuse = (status: number, message: string): never => {
      throw Object.assign(new FerryError('FERRY_ERR_ACCESS_DENIED', message), { statusCode: status });
    };

    scope.addHook('onRequest', async (request, reply) => {
      // DNS rebinding: a page of another site, its name pointed at this address, must not get answers.
      const name = hostNameOf(request.headers.host);
      if (!name || !hosts.has(name)) {
        reply.code(403).type('text/plain; charset=utf-8').headers(SECURITY_HEADERS);
        return reply.send('this server is not reached by that name\n');
      }
      const path = request.url.split('?')[0]!;
      const bearer = /^Bearer (.+)$/i.exec(request.headers.authorization ?? '')?.[1];
      if (bearer !== undefined) {
        if (!tokenMatches(access, bearer))
          return refuse(401, 'the bearer token is not the one this server takes');
        auths.set(request, { user: 'token', via: 'bearer' });
        return;
      }
      const sessionUser = sessions.user(request.cookies[SESSION_COOKIE]);
      if (sessionUser !== undefined) {
        auths.set(request, { user: sessionUser, via: 'session' });
        return;
      }
      if (!authRequired || path === '/login' || path.startsWith('/assets/')) return;
      if (isApi(request)) return refuse(401, 'sign in first: send the bearer token, or sign in on the pages');
      return reply.redirect(`/login?next=${encodeURIComponent(request.url)}`, 303);
    });

    scope.addHook('preHandler', async (request) => {
      if (request.method === 'GET' || request.method === 'HEAD') return;
      // A bearer token is never sent by a browser on its own, so a request with one cannot be forged.
      if (authOf(request).via === 'bearer') return;
      const origin = request.headers.origin;
      const host = request.headers.host;
      if (origin === undefined || (origin !== `http://${host}` && origin !== `https://${host}`)) {
        return refuse(403, 'a POST needs an Origin header naming this server (same-origin requests only)');
      }
    });
    // Callback style: on a bad token csrfProtection answers 403 itself and never calls done.
    scope.addHook('preHandler', (request, reply, done) => {
      if (request.method === 'GET' || request.method === 'HEAD' || authOf(request).via === 'bearer')
        return done();
      scope.csrfProtection(request, reply, done);
    });

    scope.addHook('onSend', async (_request, reply, payload) => {
      reply.headers(SECURITY_HEADERS);
      if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
      return payload;
    });

    scope.setErrorHandler(async (error, request, reply) => {
      const { status, body } = apiError(error);
      if (status >= 500) {
        logger.error({ err: error, method: request.method, url: request.url }, 'operations request failed');
      }
      reply.code(status);
      if (isApi(request) || request.headers.accept?.includes('application/json')) return reply.send(body);
      const pc = { csrf: csrfToken(reply), user: authOf(request).user };
      return reply
        .type('text/html; charset=utf-8')
        .send(
          layout(
            status === 404 ? 'Not found' : 'Something went wrong',
            null,
            pc,
            errorBody(status, body.error.message),
          ).value,
        );
    });

    scope.addHook('preClose', async () => stream.close());

    const routes: ApiRoute[] = apiRoutes({
      ledger: deps.ledger,
      reader,
      actions,
      stream,
      inbox: deps.inbox,
      logger,
      operator,
      user: (request) => authOf(request).user,
      csrfToken,
      securityHeaders: SECURITY_HEADERS,
    });
    const document = buildOpenApiDocument(routes, options.version ?? '1');
    scope.get('/api/openapi.json', async () => document);
    for (const route of routes) {
      scope.route({
        method: route.method,
        url: route.url,
        handler: async (request, reply) => {
          const input = {
            params: request.params as Record<string, unknown>,
            query: request.query as Record<string, unknown>,
            body: request.body,
          };
          const out = await route.handler(input, request, reply);
          if (out === reply) return reply;
          return reply.code(route.success.status).send(out);
        },
      });
    }

    registerPages(scope, {
      ledger: deps.ledger,
      reader,
      actions,
      control: deps.control,
      inbox: deps.inbox,
      logger,
      operator,
      pageContext,
    });

    scope.get('/assets/:name', async (request, reply) => {
      const asset = assets.get((request.params as { name: string }).name);
      if (!asset) throw new FerryError('FERRY_ERR_NOT_FOUND', 'no such asset');
      return reply.type(asset.type).header('cache-control', 'public, max-age=300').send(asset.body);
    });

    const nextOf = (value: unknown) =>
      typeof value === 'string' && /^\/(?![/\\])[^\s]*$/.test(value) ? value : '/';
    const loginPage = (reply: FastifyReply, failed: boolean, next: string) =>
      reply
        .code(failed ? 401 : 200)
        .type('text/html; charset=utf-8')
        .send(
          layout(
            'Sign in',
            null,
            { csrf: csrfToken(reply), user: null },
            loginBody(
              { csrf: csrfToken(reply), user: null },
              { users: (access.users?.length ?? 0) > 0, token: access.token !== undefined, next, failed },
            ),
          ).value,
        );
    scope.get('/login', async (request, reply) => {
      const next = nextOf((request.query as { next?: unknown }).next);
      if (!authRequired || authOf(request).user !== null) return reply.redirect(next, 303);
      return loginPage(reply, false, next);
    });
    scope.post('/login', async (request, reply) => {
      const form = (request.body ?? {}) as Record<string, unknown>;
      const next = nextOf(form.next);
      if (!authRequired) return reply.redirect(next, 303);
      if (!throttle.allowed(request.ip)) {
        throw Object.assign(
          new FerryError('FERRY_ERR_ACCESS_DENIED', 'too many failed sign-ins; wait a quarter of an hour'),
          {
            statusCode: 429,
          },
        );
      }
      const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
      const user = await signIn(access, {
        name: text(form.name),
        password: text(form.password),
        token: text(form.token),
      });
      if (user === undefined) {
        throttle.failed(request.ip);
        logger.warn(
          { action: 'sign_in', client: request.ip, name: text(form.name) ?? null },
          'sign-in refused',
        );
        return loginPage(reply, true, next);
      }
      throttle.succeeded(request.ip);
      sessions.destroy(request.cookies[SESSION_COOKIE]);
      reply.setCookie(SESSION_COOKIE, sessions.create(user), cookieOptions);
      logger.info({ action: 'sign_in', operator: user, client: request.ip }, 'signed in');
      return reply.redirect(next, 303);
    });
    scope.post('/logout', async (request, reply) => {
      sessions.destroy(request.cookies[SESSION_COOKIE]);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return reply.redirect(authRequired ? '/login' : '/', 303);
    });
  });
}
