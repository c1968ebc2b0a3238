import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { eventFacts, recordOf, versionOf } from '../connectors/webhook/webhook-event.ts';
import type { Ledger } from '../core/ledger-types.ts';
import { parseUntrustedJson } from '../http/read-json.ts';
import type { Logger } from '../observability/logger.ts';
import type { LoadedIntegration } from './load-integrations.ts';
import type { HookOutcome, ServerMetrics } from './server-metrics.ts';

/** What the webhook endpoint needs of the server. */
export interface WebhookRouteContext {
  readonly ledger: Ledger;
  readonly logger: Logger;
  readonly metrics: ServerMetrics;
  /** The integration served under this name, if it has a webhook source. */
  lookup(name: string): LoadedIntegration | undefined;
  /** True once the server stops: senders are told to come back. */
  stopping(): boolean;
  /** An event was stored for this integration: its runner takes it. */
  accepted(name: string): void;
}

/** Seconds a sender is asked to wait while ferry stops (a restart takes a few). */
const RETRY_AFTER_STOPPING = 5;
/** Seconds a sender is asked to wait while the inbox is full. */
const RETRY_AFTER_FULL = 30;

type HookRequest = FastifyRequest<{ Params: { integration: string } }>;

/** An error the body parser hands fastify for a body over the integration's limit. */
function tooLarge(limit: number): Error & { statusCode: number } {
  return Object.assign(new Error(`the body is larger than ${limit} bytes`), { statusCode: 413 });
}

/**
 * POST /hooks/<integration>: the signature is verified before anything else is looked at, the event is
 * stored in the inbox durably, and only then is the sender answered 2xx. Every refusal stores nothing.
 */
export async function webhookRoutes(app: FastifyInstance, context: WebhookRouteContext): Promise<void> {
  // Bodies are read as bytes, whatever their content type: the signature is over the raw body.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (request, payload, done) => {
    const target = context.lookup((request.params as { integration?: string }).integration ?? '');
    const limit = target?.webhook?.options.max_body ?? 0;
    const declared = Number(request.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      done(tooLarge(limit), undefined);
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let finished = false;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        finished = true;
        payload.off('data', onData);
        done(tooLarge(limit), undefined);
        return;
      }
      chunks.push(chunk);
    };
    payload.on('data', onData);
    payload.on('end', () => {
      if (!finished) done(null, Buffer.concat(chunks, size));
    });
    payload.on('error', (error) => {
      if (!finished) {
        finished = true;
        done(error, undefined);
      }
    });
  });

  app.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
    const name = (request.params as { integration?: string }).integration ?? '';
    if (error.statusCode === 413) {
      context.metrics.hook(name, 'refused_size');
      // The rest of the body is not read: the connection ends with this answer.
      return reply
        .code(413)
        .header('connection', 'close')
        .send({ error: 'payload_too_large', message: error.message });
    }
    context.metrics.hook(name, 'error');
    context.logger.error({ err: error, integration: name }, 'a webhook request failed');
    return reply.code(error.statusCode && error.statusCode < 500 ? error.statusCode : 500).send({
      error: 'bad_request',
      message: 'the request could not be read',
    });
  });

  const refuse = (
    reply: FastifyReply,
    name: string,
    outcome: HookOutcome,
    status: number,
    body: { error: string; message: string },
  ) => {
    context.metrics.hook(name, outcome);
    return reply.code(status).send(body);
  };

  app.post<{ Params: { integration: string } }>(
    '/hooks/:integration',
    {
      // The route's limit is the largest any integration may set; each integration's own is enforced above.
      bodyLimit: 1024 ** 3,
      onRequest: async (request: HookRequest, reply) => {
        if (context.stopping()) {
          context.metrics.hook(request.params.integration, 'stopping');
          return reply
            .code(503)
            .header('retry-after', String(RETRY_AFTER_STOPPING))
            .send({ error: 'stopping', message: 'ferry is stopping; send again later' });
        }
        if (context.lookup(request.params.integration)?.webhook === undefined) {
          return refuse(reply, '', 'not_found', 404, {
            error: 'not_found',
            message: 'no integration with a webhook source is served under this name',
          });
        }
        return undefined;
      },
    },
    async (request, reply) => {
      const name = request.params.integration;
      const target = context.lookup(name);
      const webhook = target?.webhook;
      if (!target || !webhook) {
        return refuse(reply, '', 'not_found', 404, {
          error: 'not_found',
          message: 'no integration with a webhook source is served under this name',
        });
      }
      const body = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const log = context.logger.child({ integration: name });
      const verdict = webhook.verify(request.headers, body);
      if (!verdict.ok) {
        log.warn(
          { reason: verdict.reason, remoteAddress: request.socket.remoteAddress },
          `webhook refused: ${verdict.reason} signature`,
        );
        // One answer for every way a signature can be wrong: nothing tells a forger how close it came.
        return refuse(reply, name, 'refused_signature', 401, {
          error: 'unauthorized',
          message: 'missing or invalid signature',
        });
      }
      const parsed = parseUntrustedJson(body.toString('utf8'));
      if (!parsed.ok) {
        return refuse(reply, name, 'refused_json', 400, { error: 'bad_request', message: parsed.problem });
      }
      const payload = parsed.value;
      const { options } = webhook;
      const facts = eventFacts(options.signature.scheme, request.headers, payload);
      if ('problem' in facts) {
        return refuse(reply, name, 'refused_id', 400, { error: 'bad_request', message: facts.problem });
      }
      if (options.event_types && !(facts.type !== undefined && options.event_types.includes(facts.type))) {
        context.metrics.hook(name, 'ignored');
        return reply.code(200).send({ status: 'ignored', message: 'this event type is not taken' });
      }
      const record = recordOf(payload, options.record_path);
      const key = record.found ? await keyOf(target, record.record) : null;
      let outcome: Awaited<ReturnType<Ledger['inboxAdd']>>['outcome'];
      try {
        ({ outcome } = await context.ledger.inboxAdd(
          {
            integration: name,
            eventId: facts.eventId,
            key,
            version: versionOf(payload, options.version_path),
            payload,
            receivedAt: new Date().toISOString(),
          },
          { maxPending: options.max_pending },
        ));
      } catch (error) {
        log.error({ err: error, eventId: facts.eventId }, 'storing a webhook event failed');
        context.metrics.hook(name, 'error');
        return reply
          .code(503)
          .header('retry-after', String(RETRY_AFTER_FULL))
          .send({ error: 'unavailable', message: 'the event could not be stored; send it again later' });
      }
      context.metrics.hook(name, outcome === 'full' ? 'full' : outcome);
      log.debug({ eventId: facts.eventId, type: facts.type, outcome }, `webhook event ${outcome}`);
      switch (outcome) {
        case 'accepted':
          context.accepted(name);
          return reply.code(202).send({ status: 'accepted' });
        case 'duplicate':
          return reply.code(200).send({ status: 'duplicate', message: 'this event was received before' });
        case 'stale':
          return reply
            .code(200)
            .send({ status: 'stale', message: 'a later event of this record was received before' });
        case 'full':
          log.warn({ maxPending: options.max_pending }, 'webhook refused: the inbox is full');
          return reply
            .code(503)
            .header('retry-after', String(RETRY_AFTER_FULL))
            .send({ error: 'inbox_full', message: 'too many events wait; send it again later' });
      }
    },
  );
}

/** The key the run will give the event's record, so the inbox can order the events of one key. */
async function keyOf(target: LoadedIntegration, record: unknown): Promise<string | null> {
  try {
    const result = await target.mapping.keyOf(record);
    return result.ok ? result.key : null;
  } catch {
    return null;
  }
}
