import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { FerryError, hasErrorCode } from '../../core/errors.ts';
import type { DeadLetterFilter, Ledger } from '../../core/ledger-types.ts';
import { selectDeadLetters } from '../../inspection/dead-letters-page.ts';
import type { Logger } from '../../observability/logger.ts';
import { parseInput } from './api-routes.ts';
import { DeadLettersQuery, IdParams, NameParams, RunsQuery } from './api-schemas.ts';
import { type Html, href } from './html.ts';
import type { DeadLetterSelection, OperationsActions } from './operations-actions.ts';
import type { OperationsReader } from './operations-reader.ts';
import type { InboxView, IntegrationControl, ReplayStatus } from './operations-types.ts';
import {
  confirmBody,
  deadLettersBody,
  filterParams,
  replaysBody,
  replaysRegion,
} from './pages/dead-letters-pages.ts';
import { layout, type NavId, type PageContext } from './pages/layout.ts';
import { overviewBody, overviewRegion } from './pages/overview-page.ts';
import { recordBody } from './pages/record-page.ts';
import { runBody, runRegion, runsListBody } from './pages/runs-pages.ts';

/** What the page handlers use. */
export interface PagesContext {
  readonly ledger: Ledger;
  readonly reader: OperationsReader;
  readonly actions: OperationsActions;
  readonly control: IntegrationControl;
  readonly inbox: InboxView | undefined;
  readonly logger: Pick<Logger, 'info' | 'warn'>;
  operator(request: FastifyRequest): string;
  pageContext(request: FastifyRequest, reply: FastifyReply): PageContext;
}

/** Notices an action redirects with: a fixed vocabulary, so a link cannot make a page say anything. */
const NOTICES: Record<string, (arg: string) => string> = {
  started: (name) => `Started a run of ${name}.`,
  stopping: (name) => `Stopping the run of ${name}: records in flight settle first.`,
  paused: (name) =>
    `Paused ${name}: no scheduled or event run starts until it is resumed; Run now still works.`,
  resumed: (name) => `Resumed ${name}.`,
  purged: (n) => `Deleted ${n} dead letter${n === '1' ? '' : 's'}.`,
  busy: (name) => `${name} is already running or replaying; one run at a time.`,
  missing: (name) => `There is no integration ${name} on this server.`,
  idle: (name) => `${name} is not running.`,
};
const ERROR_NOTICES = new Set(['busy', 'missing', 'idle']);

function noticeOf(request: FastifyRequest): { notice?: string; noticeIsError?: boolean } {
  const raw = (request.query as { notice?: unknown }).notice;
  if (typeof raw !== 'string') return {};
  const match = /^([a-z]+):([a-z0-9_-]{1,100})$/.exec(raw);
  const render = match ? NOTICES[match[1]!] : undefined;
  return render ? { notice: render(match![2]!), noticeIsError: ERROR_NOTICES.has(match![1]!) } : {};
}

/** A list of form values: a repeated field arrives as an array, a single one as a string. */
function formList(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  return typeof value === 'string' && value !== '' ? [value] : [];
}

const FilterForm = DeadLettersQuery.pick({
  integration: true,
  state: true,
  runId: true,
  reason: true,
  field: true,
  includeResolved: true,
});

function filterFrom(form: Record<string, unknown>): DeadLetterFilter {
  // Empty form fields mean "any": dropped before parsing.
  const given = Object.fromEntries(Object.entries(form).filter(([, v]) => typeof v === 'string' && v !== ''));
  const parsed = parseInput(FilterForm, given, 'form');
  return {
    ...(parsed.integration ? { integration: parsed.integration } : {}),
    ...(parsed.state ? { state: parsed.state } : {}),
    ...(parsed.runId ? { runId: parsed.runId } : {}),
    ...(parsed.reason ? { reason: parsed.reason } : {}),
    ...(parsed.field ? { field: parsed.field } : {}),
    ...(parsed.includeResolved ? { includeResolved: true } : {}),
  };
}

function selectionFrom(form: Record<string, unknown>, all: boolean): DeadLetterSelection {
  if (all) return { filter: filterFrom(form) };
  const ids = formList(form.id).map(Number);
  if (ids.some((id) => !Number.isSafeInteger(id) || id <= 0)) {
    throw new FerryError('FERRY_ERR_USAGE', 'dead letter ids are positive whole numbers');
  }
  return { ids };
}

/** Registers the dashboard's pages on the (already guarded) scope. */
export function registerPages(app: FastifyInstance, ctx: PagesContext): void {
  const page = (
    request: FastifyRequest,
    reply: FastifyReply,
    title: string,
    nav: NavId | null,
    body: (pc: PageContext) => Html,
  ) => {
    const pc = { ...ctx.pageContext(request, reply), ...noticeOf(request) };
    return reply.type('text/html; charset=utf-8').send(layout(title, nav, pc, body(pc)).value);
  };
  const fragment = (request: FastifyRequest) => (request.query as { fragment?: unknown }).fragment === '1';
  const integrationNames = () => ctx.control.list().map((s) => s.name);
  const form = (request: FastifyRequest) => (request.body ?? {}) as Record<string, unknown>;

  app.get('/', async (request, reply) => {
    const [integrations, runs, inbox] = await Promise.all([
      ctx.reader.integrations(),
      ctx.reader.runs({ limit: 10 }),
      ctx.inbox?.summary() ?? Promise.resolve(null),
    ]);
    const data = { integrations, runs: runs.items, inbox };
    if (fragment(request)) {
      return reply
        .type('text/html; charset=utf-8')
        .send(overviewRegion(ctx.pageContext(request, reply), data).value);
    }
    return page(request, reply, 'Overview', 'overview', (pc) => overviewBody(pc, data));
  });

  for (const action of ['run', 'pause', 'resume', 'stop'] as const) {
    app.post(`/integrations/:name/${action}`, async (request, reply) => {
      const { name } = parseInput(NameParams, request.params, 'path');
      const operator = ctx.operator(request);
      try {
        if (action === 'run') await ctx.actions.runNow(name, operator);
        else if (action === 'pause') await ctx.actions.pause(name, operator);
        else if (action === 'resume') await ctx.actions.resume(name, operator);
        else await ctx.actions.stop(name, operator);
      } catch (error) {
        const kind = hasErrorCode(error, 'FERRY_ERR_BUSY')
          ? 'busy'
          : hasErrorCode(error, 'FERRY_ERR_NOT_FOUND')
            ? ctx.control.get(name)
              ? 'idle'
              : 'missing'
            : undefined;
        if (!kind) throw error;
        return reply.redirect(href('/', { notice: `${kind}:${name}` }), 303);
      }
      const done = { run: 'started', pause: 'paused', resume: 'resumed', stop: 'stopping' }[action];
      return reply.redirect(href('/', { notice: `${done}:${name}` }), 303);
    });
  }

  app.get('/runs', async (request, reply) => {
    const given = Object.fromEntries(
      Object.entries(request.query as Record<string, unknown>).filter(([, v]) => v !== ''),
    );
    const q = parseInput(RunsQuery, given, 'query');
    const runs = await ctx.reader.runs({
      ...(q.integration ? { integration: q.integration } : {}),
      ...(q.status ? { status: q.status } : {}),
      ...(q.cursor ? { cursor: q.cursor } : {}),
      limit: q.limit ?? 50,
    });
    return page(request, reply, 'Runs', 'runs', () =>
      runsListBody(runs, { integration: q.integration, status: q.status }, integrationNames()),
    );
  });

  app.get('/runs/:id', async (request, reply) => {
    const { id } = parseInput(IdParams, request.params, 'path');
    const detail = await ctx.reader.run(id);
    if (fragment(request)) {
      return reply
        .type('text/html; charset=utf-8')
        .send(runRegion(ctx.pageContext(request, reply), detail).value);
    }
    return page(
      request,
      reply,
      `Run ${detail.run.id.slice(0, 8)} of ${detail.run.integration}`,
      'runs',
      (pc) => runBody(pc, detail),
    );
  });

  app.post('/runs/:id/stop', async (request, reply) => {
    const { id } = parseInput(IdParams, request.params, 'path');
    await ctx.actions.stopRun(id, ctx.operator(request));
    return reply.redirect(`/runs/${encodeURIComponent(id)}`, 303);
  });

  const RecordQuery = z.object({ key: z.string().optional(), integration: z.string().optional() });
  const showRecord = async (request: FastifyRequest, reply: FastifyReply, unmask: boolean) => {
    const source = unmask ? form(request) : (request.query as Record<string, unknown>);
    const q = parseInput(RecordQuery, source, unmask ? 'form' : 'query');
    const key = q.key?.trim() ?? '';
    const integration = q.integration || undefined;
    if (unmask) {
      ctx.logger.warn(
        {
          operator: ctx.operator(request),
          action: 'unmask',
          client: request.ip,
          record: key,
          integration: integration ?? null,
        },
        'personal data unmasked',
      );
    }
    const reports = key === '' ? null : await ctx.reader.records(key, integration, unmask);
    return page(request, reply, key === '' ? 'Records' : `Record ${key}`, 'records', (pc) =>
      recordBody(pc, { key, integration }, integrationNames(), reports && { reports, masked: !unmask }),
    );
  };
  app.get('/records', (request, reply) => showRecord(request, reply, false));
  app.post('/records/unmask', (request, reply) => showRecord(request, reply, true));

  app.get('/dead-letters', async (request, reply) => {
    const query = request.query as Record<string, unknown>;
    const filter = filterFrom(query);
    const cursor = typeof query.cursor === 'string' && query.cursor !== '' ? query.cursor : undefined;
    const letters = await ctx.reader.deadLetters(
      { ...filter, limit: 50, ...(cursor ? { cursor } : {}) },
      false,
    );
    return page(request, reply, 'Dead letters', 'dead-letters', (pc) =>
      deadLettersBody(pc, filter, integrationNames(), letters),
    );
  });

  app.post('/dead-letters/confirm', async (request, reply) => {
    const body = form(request);
    const action = String(body.action ?? '');
    const match = /^(replay|purge)-(selected|all)$/.exec(action);
    if (!match)
      throw new FerryError('FERRY_ERR_USAGE', 'choose replay or purge, of the selected or of all matching');
    const [verb, scope] = [match[1] as 'replay' | 'purge', match[2]];
    const filter = filterFrom(body);
    const selection = selectionFrom(body, scope === 'all');
    const letters =
      verb === 'replay'
        ? [...(await ctx.actions.openLetters(selection)).values()].flat()
        : [...(await selectDeadLetters(ctx.ledger, selection)).values()].flat();
    const fields: Record<string, string | string[]> =
      'ids' in selection ? { id: selection.ids.map(String) } : { ...filterParams(filter), all: '1' };
    const back = href('/dead-letters', filterParams(filter));
    return page(
      request,
      reply,
      verb === 'replay' ? 'Replay dead letters' : 'Purge dead letters',
      'dead-letters',
      (pc) => confirmBody(pc, { action: verb, letters, fields, back }),
    );
  });

  for (const verb of ['replay', 'purge'] as const) {
    app.post(`/dead-letters/${verb}`, async (request, reply) => {
      const body = form(request);
      const all = body.all === '1';
      const filter = filterFrom(body);
      const selection = selectionFrom(body, all);
      const expected = Number(body.expected);
      const letters =
        verb === 'replay'
          ? [...(await ctx.actions.openLetters(selection)).values()].flat()
          : [...(await selectDeadLetters(ctx.ledger, selection)).values()].flat();
      const back = href('/dead-letters', filterParams(filter));
      if (letters.length !== expected) {
        // What was confirmed is not what would happen now: ask again, with the new count.
        const fields: Record<string, string | string[]> =
          'ids' in selection ? { id: selection.ids.map(String) } : { ...filterParams(filter), all: '1' };
        return page(request, reply, 'The selection changed', 'dead-letters', (pc) =>
          confirmBody(
            {
              ...pc,
              notice: `The selection changed since you confirmed: it now holds ${letters.length}.`,
              noticeIsError: true,
            },
            { action: verb, letters, fields, back },
          ),
        );
      }
      const operator = ctx.operator(request);
      if (verb === 'purge') {
        const result = await ctx.actions.purge({ ids: letters.map((l) => l.id) }, false, operator);
        return reply.redirect(
          href('/dead-letters', { ...filterParams(filter), notice: `purged:${result.count}` }),
          303,
        );
      }
      const started = await ctx.actions.replay({ ids: letters.map((l) => l.id) }, operator);
      return reply.redirect(href('/replays', { ids: started.replays.map((r) => r.id).join(',') }), 303);
    });
  }

  app.get('/replays', async (request, reply) => {
    const ids = String((request.query as { ids?: unknown }).ids ?? '')
      .split(',')
      .filter((id) => id !== '');
    const replays = ids.map((id) => ctx.reader.replay(id)).filter((r): r is ReplayStatus => r !== undefined);
    if (replays.length === 0) throw new FerryError('FERRY_ERR_NOT_FOUND', 'no such replay on this server');
    if (fragment(request)) return reply.type('text/html; charset=utf-8').send(replaysRegion(replays).value);
    return page(request, reply, 'Replay', 'dead-letters', () => replaysBody(replays));
  });
}
