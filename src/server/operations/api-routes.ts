import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import { FerryError } from '../../core/errors.ts';
import type { Ledger } from '../../core/ledger-types.ts';
import { redactSecrets } from '../../core/secret-registry.ts';
import { exportDeadLetters, exportMediaTypes } from '../../inspection/dead-letter-export.ts';
import { deadLetterFilter, eachDeadLetterPage } from '../../inspection/dead-letters-page.ts';
import type { Logger } from '../../observability/logger.ts';
import {
  components as c,
  DeadLettersQuery,
  ExportQuery,
  IdParams,
  KeyParams,
  LetterIdParams,
  NameParams,
  RunsQuery,
  UnmaskQuery,
} from './api-schemas.ts';
import type { EventStream } from './event-stream.ts';
import type { OperationSpec } from './openapi.ts';
import type { OperationsActions } from './operations-actions.ts';
import { type OperationsReader, showLetter } from './operations-reader.ts';
import type { InboxView } from './operations-types.ts';

/** What the API's handlers use. */
export interface ApiContext {
  readonly ledger: Ledger;
  readonly reader: OperationsReader;
  readonly actions: OperationsActions;
  readonly stream: EventStream;
  readonly inbox: InboxView | undefined;
  readonly logger: Pick<Logger, 'info' | 'warn'>;
  /** Who asks, for the log: a user name, `token`, or `local` when the server needs no sign-in. */
  operator(request: FastifyRequest): string;
  /** The signed-in user, or null when the server needs no sign-in. */
  user(request: FastifyRequest): string | null;
  csrfToken(reply: FastifyReply): string;
  /** Headers every response carries (set by hand on the streams, which bypass the hooks). */
  readonly securityHeaders: Readonly<Record<string, string>>;
}

/** Parsed request parts. */
interface Input {
  readonly params: Record<string, unknown>;
  readonly query: Record<string, unknown>;
  readonly body: unknown;
}

/** An operation and its handler; a handler returns the JSON body, or the reply when it answered itself. */
export interface ApiRoute extends OperationSpec {
  readonly handler: (input: Input, request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
}

/** Parses one part of a request; FERRY_ERR_USAGE naming the part and field when it does not fit. */
export function parseInput<T>(schema: z.ZodType<T>, value: unknown, part: string): T {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => {
    const path = issue.path.length > 0 ? `${part}.${issue.path.join('.')}` : part;
    return `${path}: ${issue.message}`;
  });
  throw new FerryError('FERRY_ERR_USAGE', problems.join('; '));
}

/** The routes of `/api/`, in the order the OpenAPI document lists them. */
export function apiRoutes(ctx: ApiContext): ApiRoute[] {
  const logUnmask = (request: FastifyRequest, what: Record<string, unknown>) =>
    ctx.logger.warn(
      { operator: ctx.operator(request), action: 'unmask', client: request.ip, ...what },
      'personal data unmasked',
    );

  return [
    {
      method: 'GET',
      url: '/api/session',
      operationId: 'getSession',
      summary: 'Who is signed in, and the CSRF token to send with every POST',
      tag: 'session',
      success: { status: 200, description: 'The session', schema: c.Session },
      errors: [],
      handler: async (_input, request, reply) => ({
        user: ctx.user(request),
        csrfToken: ctx.csrfToken(reply),
      }),
    },
    {
      method: 'GET',
      url: '/api/events',
      operationId: 'streamEvents',
      summary: 'Server-sent events: integration changes, run start, progress and end, replay start and end',
      description:
        'Each event has a type (`integration`, `run.started`, `run.progress`, `run.finished`, `replay.started`, ' +
        '`replay.finished`) and JSON data. Progress comes a few times a second per run at most.',
      tag: 'integrations',
      success: { status: 200, description: 'An endless event stream', text: ['text/event-stream'] },
      errors: [503],
      handler: async (_input, _request, reply) => {
        if (!ctx.stream.open(reply.raw, { ...ctx.securityHeaders })) {
          throw Object.assign(
            new FerryError('FERRY_ERR_BUSY', 'too many event streams are open; try again later'),
            {
              statusCode: 503,
            },
          );
        }
        reply.hijack();
        return reply;
      },
    },
    {
      method: 'GET',
      url: '/api/integrations',
      operationId: 'listIntegrations',
      summary:
        'Every integration: state, schedule, next run, config without secrets, last runs, open dead letters',
      tag: 'integrations',
      success: { status: 200, description: 'The integrations', schema: c.IntegrationList },
      errors: [],
      handler: async () => ({ items: await ctx.reader.integrations() }),
    },
    {
      method: 'GET',
      url: '/api/integrations/:name',
      operationId: 'getIntegration',
      summary: 'One integration',
      tag: 'integrations',
      params: NameParams,
      success: { status: 200, description: 'The integration', schema: c.IntegrationView },
      errors: [404],
      handler: async ({ params }) => ctx.reader.integration(parseInput(NameParams, params, 'path').name),
    },
    {
      method: 'POST',
      url: '/api/integrations/:name/run',
      operationId: 'runIntegration',
      summary: 'Run now, whatever the schedule',
      tag: 'integrations',
      params: NameParams,
      success: { status: 202, description: 'The run started', schema: c.RunStarted },
      errors: [404, 409],
      handler: async ({ params }, request) => {
        const { name } = parseInput(NameParams, params, 'path');
        const started = await ctx.actions.runNow(name, ctx.operator(request));
        return { integration: name, runId: started.runId };
      },
    },
    {
      method: 'POST',
      url: '/api/integrations/:name/pause',
      operationId: 'pauseIntegration',
      summary:
        'Pause: no scheduled run and no run on webhook events starts (events wait in the inbox); a run going on goes on; run now still works',
      tag: 'integrations',
      params: NameParams,
      success: { status: 200, description: 'The integration, paused', schema: c.IntegrationView },
      errors: [404],
      handler: async ({ params }, request) => {
        const { name } = parseInput(NameParams, params, 'path');
        await ctx.actions.pause(name, ctx.operator(request));
        return ctx.reader.integration(name);
      },
    },
    {
      method: 'POST',
      url: '/api/integrations/:name/resume',
      operationId: 'resumeIntegration',
      summary: 'Resume: the schedule ticks again (from now) and the events that waited are taken',
      tag: 'integrations',
      params: NameParams,
      success: { status: 200, description: 'The integration, scheduled again', schema: c.IntegrationView },
      errors: [404],
      handler: async ({ params }, request) => {
        const { name } = parseInput(NameParams, params, 'path');
        await ctx.actions.resume(name, ctx.operator(request));
        return ctx.reader.integration(name);
      },
    },
    {
      method: 'POST',
      url: '/api/integrations/:name/stop',
      operationId: 'stopIntegration',
      summary: 'Stop its run gracefully: no more reading, records in flight settle, the checkpoint is saved',
      tag: 'integrations',
      params: NameParams,
      success: { status: 202, description: 'The run is stopping', schema: c.RunStarted },
      errors: [404],
      handler: async ({ params }, request) => {
        const { name } = parseInput(NameParams, params, 'path');
        const stopped = await ctx.actions.stop(name, ctx.operator(request));
        return { integration: name, runId: stopped.runId };
      },
    },
    {
      method: 'GET',
      url: '/api/inbox',
      operationId: 'getInbox',
      summary: 'The webhook inbox per integration: received, processed, pending, refused by reason',
      tag: 'inbox',
      success: { status: 200, description: 'The inbox', schema: c.InboxList },
      errors: [],
      handler: async () =>
        ctx.inbox ? { available: true, items: await ctx.inbox.summary() } : { available: false, items: [] },
    },
    {
      method: 'GET',
      url: '/api/runs',
      operationId: 'listRuns',
      summary: 'Runs, newest first, filtered, a page at a time',
      tag: 'runs',
      query: RunsQuery,
      success: { status: 200, description: 'A page of runs', schema: c.RunPage },
      errors: [400],
      handler: async ({ query }) => {
        const q = parseInput(RunsQuery, query, 'query');
        return ctx.reader.runs({
          ...(q.integration ? { integration: q.integration } : {}),
          ...(q.status ? { status: q.status } : {}),
          ...(q.limit ? { limit: q.limit } : {}),
          ...(q.cursor ? { cursor: q.cursor } : {}),
        });
      },
    },
    {
      method: 'GET',
      url: '/api/runs/:id',
      operationId: 'getRun',
      summary: 'One run and its report (as it stands while the run goes on); the id or a unique start of it',
      tag: 'runs',
      params: IdParams,
      success: { status: 200, description: 'The run', schema: c.RunDetail },
      errors: [400, 404],
      handler: async ({ params }) => ctx.reader.run(parseInput(IdParams, params, 'path').id),
    },
    {
      method: 'POST',
      url: '/api/runs/:id/stop',
      operationId: 'stopRun',
      summary: 'Stop this run gracefully',
      tag: 'runs',
      params: IdParams,
      success: { status: 202, description: 'The run is stopping', schema: c.RunStarted },
      errors: [404],
      handler: async ({ params }, request) =>
        ctx.actions.stopRun(parseInput(IdParams, params, 'path').id, ctx.operator(request)),
    },
    {
      method: 'GET',
      url: '/api/records/:key',
      operationId: 'getRecord',
      summary:
        "A record's history in each integration that has it: states, attempts, reasons, when, body hash",
      tag: 'records',
      params: KeyParams,
      query: UnmaskQuery,
      success: { status: 200, description: 'The record', schema: c.RecordReports },
      errors: [400, 404],
      handler: async ({ params, query }, request) => {
        const { key } = parseInput(KeyParams, params, 'path');
        const q = parseInput(UnmaskQuery, query, 'query');
        const unmask = q.unmask === true;
        if (unmask) logUnmask(request, { record: key, integration: q.integration ?? null });
        const items = await ctx.reader.records(key, q.integration, unmask);
        if (items.length === 0) throw new FerryError('FERRY_ERR_NOT_FOUND', `no record ${key} in the ledger`);
        return { items, masked: !unmask };
      },
    },
    {
      method: 'GET',
      url: '/api/dead-letters',
      operationId: 'listDeadLetters',
      summary:
        'Dead letters, newest first, by integration, state, run, reason code and field, a page at a time',
      tag: 'dead letters',
      query: DeadLettersQuery,
      success: { status: 200, description: 'A page of dead letters', schema: c.DeadLetterPage },
      errors: [400],
      handler: async ({ query }, request) => {
        const { unmask, ...q } = parseInput(DeadLettersQuery, query, 'query');
        if (unmask) logUnmask(request, { deadLetters: q });
        return ctx.reader.deadLetters(
          {
            ...deadLetterFilter(q),
            ...(q.limit ? { limit: q.limit } : {}),
            ...(q.cursor ? { cursor: q.cursor } : {}),
          },
          unmask === true,
        );
      },
    },
    {
      method: 'GET',
      url: '/api/dead-letters/export',
      operationId: 'exportDeadLetters',
      summary: 'Every matching dead letter as CSV or JSON Lines, streamed',
      tag: 'dead letters',
      query: ExportQuery,
      success: { status: 200, description: 'The export', text: ['text/csv', 'application/jsonl'] },
      errors: [400],
      handler: async ({ query }, request, reply) => {
        const { unmask, format, ...filter } = parseInput(ExportQuery, query, 'query');
        if (unmask) logUnmask(request, { export: filter });
        const pages = (async function* () {
          for await (const page of eachDeadLetterPage(ctx.ledger, deadLetterFilter(filter))) {
            yield page.map((letter) => showLetter(letter, unmask === true));
          }
        })();
        const name = `dead-letters-${new Date().toISOString().slice(0, 19).replace(/:/g, '')}.${format}`;
        return reply
          .type(exportMediaTypes[format])
          .header('content-disposition', `attachment; filename="${name}"`)
          .send(Readable.from(exportDeadLetters(pages, format)));
      },
    },
    {
      method: 'GET',
      url: '/api/dead-letters/:id',
      operationId: 'getDeadLetter',
      summary: 'One dead letter: the record, the mapped body and every reason',
      tag: 'dead letters',
      params: LetterIdParams,
      query: UnmaskQuery.pick({ unmask: true }),
      success: { status: 200, description: 'The dead letter', schema: c.DeadLetterDetail },
      errors: [400, 404],
      handler: async ({ params, query }, request) => {
        const { id } = parseInput(LetterIdParams, params, 'path');
        const unmask = parseInput(UnmaskQuery, query, 'query').unmask === true;
        if (unmask) logUnmask(request, { deadLetter: id });
        return { letter: await ctx.reader.deadLetter(id, unmask), masked: !unmask };
      },
    },
    {
      method: 'POST',
      url: '/api/dead-letters/replay',
      operationId: 'replayDeadLetters',
      summary:
        'Replay dead letters (by ids, or all a filter matches) through the current mapping and destination',
      description:
        'Starts one replay per integration and answers at once; `GET /api/replays/{id}` or the `replay.finished` ' +
        'event says how it ended. Letters a replay already resolved are left out.',
      tag: 'dead letters',
      body: c.DeadLetterSelection,
      success: { status: 202, description: 'The replays started', schema: c.ReplaysStarted },
      errors: [400, 404, 409],
      handler: async ({ body }, request) =>
        ctx.actions.replay(
          selectionOf(parseInput(c.DeadLetterSelection, body, 'body')),
          ctx.operator(request),
        ),
    },
    {
      method: 'GET',
      url: '/api/replays/:id',
      operationId: 'getReplay',
      summary: 'A replay this server started, and how it ended',
      tag: 'dead letters',
      params: IdParams,
      success: { status: 200, description: 'The replay', schema: c.ReplayStatus },
      errors: [404],
      handler: async ({ params }) => {
        const { id } = parseInput(IdParams, params, 'path');
        const replay = ctx.reader.replay(id);
        if (!replay) throw new FerryError('FERRY_ERR_NOT_FOUND', `no replay ${id} on this server`);
        return replay;
      },
    },
    {
      method: 'POST',
      url: '/api/dead-letters/purge',
      operationId: 'purgeDeadLetters',
      summary: 'Delete dead letters for good (by ids, or all a filter matches); dryRun says what would go',
      tag: 'dead letters',
      body: c.PurgeRequest,
      success: { status: 200, description: 'What was deleted', schema: c.PurgeResult },
      errors: [400],
      handler: async ({ body }, request) => {
        const parsed = parseInput(c.PurgeRequest, body, 'body');
        return ctx.actions.purge(selectionOf(parsed), parsed.dryRun === true, ctx.operator(request));
      },
    },
  ];
}

function selectionOf(parsed: { ids?: number[] | undefined; filter?: Record<string, unknown> | undefined }) {
  return parsed.ids ? { ids: parsed.ids } : { filter: parsed.filter ?? {} };
}

/** An error as the API answers it: a status and `{ error: { code, message } }`, secrets masked. */
export function apiError(error: unknown): {
  status: number;
  body: { error: { code: string; message: string } };
} {
  const e = error as { code?: unknown; statusCode?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : 'FERRY_ERR_INTERNAL';
  const declared = typeof e.statusCode === 'number' ? e.statusCode : undefined;
  const status =
    declared ??
    (code === 'FERRY_ERR_NOT_FOUND'
      ? 404
      : code === 'FERRY_ERR_BUSY'
        ? 409
        : code === 'FERRY_ERR_ACCESS_DENIED'
          ? 403
          : code.startsWith('FERRY_ERR_') && code !== 'FERRY_ERR_INTERNAL'
            ? 400
            : 500);
  if (status >= 500) {
    return {
      status,
      body: { error: { code: 'FERRY_ERR_INTERNAL', message: 'the server failed; see its log' } },
    };
  }
  // fastify's own errors (a body that is not JSON, a CSRF refusal) keep their status under ferry's codes.
  const ferryCode = code.startsWith('FERRY_ERR_')
    ? code
    : status === 401 || status === 403
      ? 'FERRY_ERR_ACCESS_DENIED'
      : 'FERRY_ERR_USAGE';
  return { status, body: { error: { code: ferryCode, message: redactSecrets(String(e.message ?? error)) } } };
}
