import { timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { IntegrationRunner } from './integration-runner.ts';

/** What the API needs of the server. */
export interface ApiRouteContext {
  runners(): readonly IntegrationRunner[];
  runner(name: string): IntegrationRunner | undefined;
  /** When each integration's next scheduled tick is due (ms since the epoch), if it has a schedule. */
  nextRunAt(name: string): number | null;
  /** Pending events of an integration with a webhook source. */
  pending(name: string): Promise<number | null>;
  stopping(): boolean;
  /** Without a token the API answers loopback clients only. */
  readonly apiToken: string | undefined;
}

function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  const plain = address.startsWith('::ffff:') ? address.slice('::ffff:'.length) : address;
  if (isIP(plain) === 4) return plain.startsWith('127.');
  return plain === '::1';
}

function sameToken(expected: string, header: string | undefined): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  if (!match) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(match[1]!);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Who may call the API: with --api-token a caller presenting it, otherwise only a client on this machine.
 * A browser on another site never may: a cross-site request (its Origin another host, or Sec-Fetch-Site
 * cross-site) is refused, so a page cannot make a local browser start runs.
 */
async function guard(context: ApiRouteContext, request: FastifyRequest, reply: FastifyReply) {
  const origin = request.headers.origin;
  const crossSite =
    request.headers['sec-fetch-site'] === 'cross-site' ||
    (origin !== undefined && URL.parse(origin)?.host !== request.headers.host);
  if (crossSite)
    return reply.code(403).send({ error: 'forbidden', message: 'cross-site requests are refused' });
  if (context.apiToken !== undefined) {
    if (sameToken(context.apiToken, request.headers.authorization)) return undefined;
    return reply.code(401).header('www-authenticate', 'Bearer realm="ferry"').send({
      error: 'unauthorized',
      message: 'this API needs the token ferry serve was given (--api-token-file or FERRY_API_TOKEN)',
    });
  }
  if (isLoopback(request.socket.remoteAddress)) return undefined;
  return reply.code(403).send({
    error: 'forbidden',
    message: 'without --api-token this API answers clients on this machine only',
  });
}

/** GET /api/integrations and POST /api/integrations/<name>/run ("run now"). */
export async function apiRoutes(app: FastifyInstance, context: ApiRouteContext): Promise<void> {
  app.addHook('onRequest', (request, reply) => guard(context, request, reply));

  app.get('/api/integrations', async () => {
    const list = await Promise.all(
      context.runners().map(async (runner) => {
        const { config } = runner.loaded;
        return {
          name: runner.name,
          file: runner.loaded.file,
          source: config.source.type,
          destination: config.destination.type,
          schedule: config.schedule,
          running: runner.current(),
          lastRun: runner.lastRun(),
          nextRunAt: toIso(context.nextRunAt(runner.name)),
          ticksSkipped: runner.ticksSkipped(),
          pendingEvents: await context.pending(runner.name),
        };
      }),
    );
    return { integrations: list };
  });

  app.post<{ Params: { name: string } }>('/api/integrations/:name/run', async (request, reply) => {
    const runner = context.runner(request.params.name);
    if (!runner)
      return reply.code(404).send({ error: 'not_found', message: 'no integration of this name is served' });
    if (context.stopping()) {
      return reply
        .code(503)
        .header('retry-after', '5')
        .send({ error: 'stopping', message: 'ferry is stopping' });
    }
    const answer = runner.trigger('manual');
    if (answer === 'started') return reply.code(202).send({ status: 'started', integration: runner.name });
    return reply.code(409).send({
      error: 'busy',
      message: `a run of ${runner.name} is going on; ask again once it has ended`,
      running: runner.current(),
    });
  });
}

function toIso(at: number | null): string | null {
  return at === null ? null : new Date(at).toISOString();
}
