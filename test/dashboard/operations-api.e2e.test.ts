import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { customerAt } from '../../src/mocks/customer-data.ts';
import { expectedCustomers } from '../../src/mocks/index.ts';
import { type DashboardHarness, startDashboard } from '../support/dashboard-harness.ts';
import { createOpenApiValidator, openApiProblems } from '../support/openapi-validator.ts';

const NAME = 'customers-to-orders';
const COUNT = 60;
const SEED = 7;
const expected = expectedCustomers(SEED, COUNT);
const customers = Array.from({ length: COUNT }, (_, i) => customerAt(SEED, i));
const validCustomers = customers.filter((c) =>
  expected.distinctValidIds.includes(String(c.customer_id).trim()),
);
const HOST = '127.0.0.1';
const ORIGIN = `http://${HOST}`;

describe('the operations API', () => {
  let h: DashboardHarness;
  let validator: ReturnType<typeof createOpenApiValidator>;
  let brokenRun: string;
  const bodies: string[] = [];

  /** A request as a browser on this origin sends it, with the session's CSRF cookie and token on POSTs. */
  let csrf: { cookie: string; token: string };
  async function call(
    method: 'GET' | 'POST',
    url: string,
    payload?: unknown,
  ): Promise<LightMyRequestResponse> {
    const response = await h.app.inject({
      method,
      url,
      headers: {
        host: HOST,
        ...(method === 'POST' ? { origin: ORIGIN, cookie: csrf.cookie, 'x-csrf-token': csrf.token } : {}),
      },
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
    });
    bodies.push(response.body, JSON.stringify(response.headers));
    return response;
  }
  /** Calls and validates the JSON body against the published document; `template` names the path. */
  async function checked(
    method: 'GET' | 'POST',
    url: string,
    template: string,
    status: number,
    payload?: unknown,
  ) {
    const response = await call(method, url, payload);
    expect(response.statusCode, response.body).toBe(status);
    const body = response.json();
    validator.expectValid(method, template, status, body);
    return body;
  }

  beforeAll(async () => {
    h = await startDashboard({
      count: COUNT,
      seed: SEED,
      listen: false,
      integrations: [{ name: NAME, broken: true }],
      sourceFaults: { latencyMs: 150 },
    });
    const session = await h.app.inject({ url: '/api/session', headers: { host: HOST } });
    csrf = { cookie: String(session.headers['set-cookie']).split(';')[0]!, token: session.json().csrfToken };
    const doc = (await h.app.inject({ url: '/api/openapi.json', headers: { host: HOST } })).json();
    validator = createOpenApiValidator(doc);
    brokenRun = await h.run(NAME);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('publishes an OpenAPI 3.1 document whose schemas compile and that lists every route', async () => {
    const doc = (await call('GET', '/api/openapi.json')).json();
    expect(doc.openapi).toBe('3.1.0');
    expect(openApiProblems(doc)).toEqual([]);
    const broken = structuredClone(doc);
    broken.paths['/api/runs'].get.parameters[0].in = 'body';
    expect(openApiProblems(broken)).not.toEqual([]);
    validator.compileAll();
    const operations = Object.entries(
      doc.paths as Record<string, Record<string, { operationId: string }>>,
    ).flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`));
    expect(operations).toContain('GET /api/runs/{id}');
    expect(operations).toContain('POST /api/dead-letters/replay');
    expect(operations).toContain('GET /api/dead-letters/export');
    const ids = Object.values(doc.paths as Record<string, Record<string, { operationId: string }>>).flatMap(
      (m) => Object.values(m).map((o) => o.operationId),
    );
    expect(new Set(ids).size).toBe(ids.length);
    validator.expectValid('GET', '/api/session', 200, (await call('GET', '/api/session')).json());
  });

  it('lists integrations with their state, config without secrets, last runs and open dead letters', async () => {
    const list = await checked('GET', '/api/integrations', '/api/integrations', 200);
    expect(list.items).toHaveLength(1);
    const [view] = list.items;
    expect(view).toMatchObject({
      name: NAME,
      state: 'idle',
      schedule: null,
      currentRunId: null,
      openDeadLetters: COUNT,
      config: {
        source: { type: 'rest', auth: 'api_key' },
        destination: { auth: 'oauth2_client_credentials' },
      },
    });
    expect(view.recentRuns[0].id).toBe(brokenRun);
    const one = await checked('GET', `/api/integrations/${NAME}`, '/api/integrations/{name}', 200);
    expect(one.name).toBe(NAME);
    const missing = await call('GET', '/api/integrations/nope');
    expect(missing.statusCode).toBe(404);
    validator.expectValid('GET', '/api/integrations/{name}', 404, missing.json());
    expect(missing.json().error.code).toBe('FERRY_ERR_NOT_FOUND');
  });

  it('shows a run with its report: counts, per-endpoint latency, dead letters by reason and field, timeline', async () => {
    const detail = await checked('GET', `/api/runs/${brokenRun}`, '/api/runs/{id}', 200);
    expect(detail.live).toBe(false);
    expect(detail.run.counts).toMatchObject({
      read: COUNT,
      delivered: 0,
      failed: expected.distinctValidIds.length,
    });
    expect(detail.report.deadLetters.byReason.destination_400).toBe(expected.distinctValidIds.length);
    expect(detail.report.deadLetters.byField['shippingAddress.region']).toBe(
      expected.distinctValidIds.length,
    );
    expect(detail.report.http.destination.latencyMs.p99).toBeGreaterThan(0);
    expect(detail.report.timeline.points.length).toBeGreaterThan(0);
    // A unique start of the id finds it too, as `ferry runs show` does.
    expect((await checked('GET', `/api/runs/${brokenRun.slice(0, 8)}`, '/api/runs/{id}', 200)).run.id).toBe(
      brokenRun,
    );
    const unknown = await call('GET', '/api/runs/ffffffff-0000');
    expect(unknown.statusCode).toBe(404);
  });

  it('filters dead letters by state, run, reason code and field, a page at a time with a total', async () => {
    const failed = expected.distinctValidIds.length;
    const byReason = await checked(
      'GET',
      '/api/dead-letters?reason=destination_400&limit=5',
      '/api/dead-letters',
      200,
    );
    expect(byReason.total).toBe(failed);
    expect(byReason.items).toHaveLength(5);
    expect(byReason.masked).toBe(true);
    const next = await checked(
      'GET',
      `/api/dead-letters?reason=destination_400&limit=5&cursor=${byReason.nextCursor}`,
      '/api/dead-letters',
      200,
    );
    expect(next.items[0].id).toBeLessThan(byReason.items[4].id);
    const byField = await checked(
      'GET',
      '/api/dead-letters?field=shippingAddress.region',
      '/api/dead-letters',
      200,
    );
    expect(byField.total).toBe(failed);
    const quarantined = await checked('GET', '/api/dead-letters?state=quarantined', '/api/dead-letters', 200);
    expect(quarantined.total).toBe(COUNT - failed);
    const ofRun = await checked(
      'GET',
      `/api/dead-letters?runId=${brokenRun}&limit=1`,
      '/api/dead-letters',
      200,
    );
    expect(ofRun.total).toBe(COUNT);
    const bad = await call('GET', '/api/dead-letters?limit=5000&state=lost');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().error.message).toContain('query.limit');
    expect(bad.json().error.message).toContain('query.state');
    validator.expectValid('GET', '/api/dead-letters', 400, bad.json());
    expect((await call('GET', '/api/dead-letters?cursor=bogus')).statusCode).toBe(400);
  });

  it('masks personal data unless asked, and logs who unmasked what', async () => {
    const customer = validCustomers.find((c) => typeof c.email === 'string' && c.email.includes('@'));
    const key = String(customer!.customer_id);
    const masked = await checked('GET', `/api/records/${key}`, '/api/records/{key}', 200);
    const text = JSON.stringify(masked);
    expect(masked.masked).toBe(true);
    expect(masked.items[0]).toMatchObject({ integration: NAME, key, state: 'failed' });
    expect(masked.items[0].runs[0].changes.map((c: { state: string }) => c.state)).toEqual([
      'in_flight',
      'failed',
    ]);
    if (typeof customer!.email === 'string' && customer!.email.includes('@'))
      expect(text).not.toContain(customer!.email);
    expect(h.log.some((l) => l.action === 'unmask')).toBe(false);
    const shown = await checked('GET', `/api/records/${key}?unmask=true`, '/api/records/{key}', 200);
    expect(shown.masked).toBe(false);
    expect(JSON.stringify(shown.items[0].deadLetters[0].record)).toContain(
      String(customer!.first_name ?? ''),
    );
    expect(h.log).toContainEqual(
      expect.objectContaining({ action: 'unmask', operator: 'local', record: key }),
    );
    const none = await call('GET', '/api/records/no-such-key');
    expect(none.statusCode).toBe(404);
  });

  it('exports matching dead letters as CSV and JSON Lines, masked', async () => {
    const csv = await call('GET', '/api/dead-letters/export?format=csv&state=failed');
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toContain('text/csv');
    expect(csv.headers['content-disposition']).toMatch(/attachment; filename="dead-letters-.*\.csv"/);
    const rows = csv.body.trimEnd().split('\n');
    expect(rows[0]).toMatch(/^id,integration,key,run_id,state,reason_codes,fields,reasons/);
    expect(rows).toHaveLength(expected.distinctValidIds.length + 1);
    const jsonl = await call('GET', '/api/dead-letters/export?format=jsonl');
    const letters = jsonl.body
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(letters).toHaveLength(COUNT);
    for (const letter of letters.slice(0, 5))
      validator.expectValid('GET', '/api/dead-letters/{id}', 200, { letter, masked: true });
    const emails = validCustomers
      .map((c) => c.email)
      .filter((e): e is string => typeof e === 'string' && e.includes('@'));
    for (const email of emails) expect(jsonl.body).not.toContain(email);
  });

  it('runs now, refuses a second run while one goes on, and stops a run gracefully', async () => {
    const started = await checked(
      'POST',
      `/api/integrations/${NAME}/run`,
      '/api/integrations/{name}/run',
      202,
    );
    expect(started.runId).toMatch(/^[0-9a-f-]{36}$/);
    // The source answers each page after 150 ms: the run is still reading.
    const again = await call('POST', `/api/integrations/${NAME}/run`);
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('FERRY_ERR_BUSY');
    validator.expectValid('POST', '/api/integrations/{name}/run', 409, again.json());
    const live = await checked('GET', `/api/runs/${started.runId}`, '/api/runs/{id}', 200);
    expect(live.live).toBe(true);
    expect(live.run.status).toBe('running');
    const stopping = await checked('POST', `/api/runs/${started.runId}/stop`, '/api/runs/{id}/stop', 202);
    expect(stopping).toEqual({ integration: NAME, runId: started.runId });
    await h.control.idle(NAME);
    const ended = await checked('GET', `/api/runs/${started.runId}`, '/api/runs/{id}', 200);
    expect(ended.run.status).toBe('interrupted');
    expect((await call('POST', `/api/integrations/${NAME}/stop`)).statusCode).toBe(404);
  });

  it('pauses and resumes a schedule', async () => {
    const paused = await checked(
      'POST',
      `/api/integrations/${NAME}/pause`,
      '/api/integrations/{name}/pause',
      200,
    );
    expect(paused.state).toBe('paused');
    const resumed = await checked(
      'POST',
      `/api/integrations/${NAME}/resume`,
      '/api/integrations/{name}/resume',
      200,
    );
    expect(resumed.state).toBe('idle');
    expect(h.log.filter((l) => l.action === 'pause' || l.action === 'resume')).toHaveLength(2);
  });

  it('pages through runs with a cursor, filtered by integration and status', async () => {
    const first = await checked('GET', '/api/runs?limit=1', '/api/runs', 200);
    expect(first.items).toHaveLength(1);
    const second = await checked('GET', `/api/runs?limit=1&cursor=${first.nextCursor}`, '/api/runs', 200);
    expect(second.items[0].id).toBe(brokenRun);
    expect(second.nextCursor).toBeNull();
    const interrupted = await checked(
      'GET',
      `/api/runs?integration=${NAME}&status=interrupted`,
      '/api/runs',
      200,
    );
    expect(interrupted.items).toHaveLength(1);
  });

  it('replays the failed dead letters once the mapping is fixed: delivered once each, the invalid ones stay', async () => {
    await h.fixMapping(NAME);
    const started = await checked('POST', '/api/dead-letters/replay', '/api/dead-letters/replay', 202, {
      filter: { integration: NAME, state: 'failed' },
    });
    expect(started.count).toBe(expected.distinctValidIds.length);
    expect(started.replays).toHaveLength(1);
    await h.control.idle(NAME);
    const replay = await checked('GET', `/api/replays/${started.replays[0].id}`, '/api/replays/{id}', 200);
    expect(replay).toMatchObject({
      state: 'finished',
      counts: { delivered: expected.distinctValidIds.length, failed: 0 },
    });
    expect(h.mocks.destination.stats().ordersStored).toBe(expected.distinctValidIds.length);
    const left = await checked('GET', '/api/dead-letters', '/api/dead-letters', 200);
    expect(left.total).toBe(COUNT - expected.distinctValidIds.length);
    expect(left.items.every((l: { state: string }) => l.state === 'quarantined')).toBe(true);
    const nothing = await checked('POST', '/api/dead-letters/replay', '/api/dead-letters/replay', 202, {
      filter: { integration: NAME, state: 'failed' },
    });
    expect(nothing).toEqual({ count: 0, replays: [] });
    const both = await call('POST', '/api/dead-letters/replay', { ids: [1], filter: {} });
    expect(both.statusCode).toBe(400);
    expect(h.log).toContainEqual(
      expect.objectContaining({ action: 'replay', operator: 'local', integration: NAME }),
    );
  });

  it('purges: dryRun says how many and which, then they are gone', async () => {
    const open = COUNT - expected.distinctValidIds.length;
    const dry = await checked('POST', '/api/dead-letters/purge', '/api/dead-letters/purge', 200, {
      filter: { state: 'quarantined' },
      dryRun: true,
    });
    expect(dry).toMatchObject({ dryRun: true, count: open });
    expect(dry.ids).toHaveLength(Math.min(open, 100));
    expect((await checked('GET', '/api/dead-letters', '/api/dead-letters', 200)).total).toBe(open);
    const done = await checked('POST', '/api/dead-letters/purge', '/api/dead-letters/purge', 200, {
      ids: dry.ids,
    });
    expect(done.count).toBe(open);
    expect((await checked('GET', '/api/dead-letters', '/api/dead-letters', 200)).total).toBe(0);
  });

  it('reports the webhook inbox as unavailable when the server keeps none', async () => {
    expect(await checked('GET', '/api/inbox', '/api/inbox', 200)).toEqual({ available: false, items: [] });
  });

  it('never answers with a secret: no API key, client secret or token in any body or header', () => {
    const secrets = [h.mocks.env.SOURCE_API_KEY!, h.mocks.env.DEST_CLIENT_SECRET!];
    expect(bodies.length).toBeGreaterThan(30);
    for (const body of bodies) for (const secret of secrets) expect(body).not.toContain(secret);
  });
});

describe('the webhook inbox', () => {
  let h: DashboardHarness;
  const summary = {
    integration: 'customer-events',
    pending: 3,
    oldestPendingAt: '2026-01-01T00:00:00.000Z',
    received: 120,
    processed: 117,
    refused: { signature: 4, size: 1 },
    since: '2026-01-01T00:00:00.000Z',
  };
  beforeAll(async () => {
    h = await startDashboard({ count: 5, listen: false, inbox: { summary: async () => [summary] } });
  });
  afterAll(async () => h?.close());

  it('reports received, processed, pending and refused by reason, on the API and the overview', async () => {
    const doc = (await h.app.inject({ url: '/api/openapi.json', headers: { host: HOST } })).json();
    const inbox = await h.app.inject({ url: '/api/inbox', headers: { host: HOST } });
    createOpenApiValidator(doc).expectValid('GET', '/api/inbox', 200, inbox.json());
    expect(inbox.json()).toEqual({ available: true, items: [summary] });
    const page = await h.app.inject({ url: '/', headers: { host: HOST } });
    expect(page.body).toContain('Webhook inbox');
    expect(page.body).toContain('signature 4, size 1');
  });
});
