import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clearSecretsForTests } from '../../src/core/secret-registry.ts';
import { createLogger } from '../../src/observability/logger.ts';
import type { OperationsEvent } from '../../src/server/operations/operations-types.ts';
import { type Serve, startServe } from '../../src/server/serve.ts';
import { flagshipMappingText } from '../support/dashboard-harness.ts';
import { flagshipConfig } from '../support/ferry-cli.ts';
import { type FlagshipMocks, startFlagshipMocks } from '../support/flagship-mocks.ts';
import { createOpenApiValidator } from '../support/openapi-validator.ts';
import { type InjectClient, injectClient } from '../support/operations-client.ts';
import {
  customer,
  customerEvent,
  signEvent,
  TEST_WEBHOOK_SECRET,
  waitFor,
  writeWebhookIntegration,
} from '../support/serve-fixtures.ts';
import { tempDirs } from '../support/temp-dirs.ts';

const dirs = tempDirs('ferry-serve-ops-');
const NAME = 'orders';

/**
 * `ferry serve` in-process with its dashboard's operations API over a SQLite ledger and the bundled mocks:
 * every action goes through serve's runners, and every answer is checked against /api/openapi.json.
 * The source answers each page of 10 customers after 150 ms, so a run lasts long enough to be stopped.
 */
describe('ferry serve with the operations API', () => {
  let mocks: FlagshipMocks;
  let dir: string;
  let serve: Serve;
  let client: InjectClient;
  let validator: ReturnType<typeof createOpenApiValidator>;
  const events: OperationsEvent[] = [];

  async function checked(
    method: 'GET' | 'POST',
    url: string,
    template: string,
    status: number,
    body?: unknown,
  ) {
    const response =
      method === 'GET' ? await client.get(url) : await client.post(url, body as Record<string, unknown>);
    expect(response.statusCode, response.body).toBe(status);
    const json = response.json();
    validator.expectValid(method, template, status, json);
    return json;
  }
  const writeMapping = async (broken: boolean) =>
    writeFile(join(dir, `${NAME}.mapping.yaml`), await flagshipMappingText(broken));

  beforeAll(async () => {
    mocks = await startFlagshipMocks({
      count: 40,
      seed: 7,
      perPage: 10,
      sourceFaults: { latencyMs: 150 },
      destinationFaults: { latencyMs: 30 },
    });
    dir = await dirs.make();
    await writeMapping(true);
    const flagship = await readFile(flagshipConfig, 'utf8');
    await writeFile(
      join(dir, `${NAME}.yaml`),
      `${flagship
        .replace(/^name: .*$/m, `name: ${NAME}`)
        .replace(
          /^mapping: .*$/m,
          `mapping: ./${NAME}.mapping.yaml`,
        )}\nschedule:\n  every: 1h\n  on_start: wait\n`,
    );
    await writeWebhookIntegration(dir, 'events');
    serve = await startServe({
      paths: [dir],
      state: join(dir, 'state'),
      port: 0,
      env: { ...mocks.env, WEBHOOK_SECRET: TEST_WEBHOOK_SECRET },
      logger: createLogger({ level: 'silent' }),
      graceMs: 5000,
    });
    serve.control.subscribe((event) => events.push(event));
    client = await injectClient(serve.app);
    validator = createOpenApiValidator((await client.get('/api/openapi.json')).json());
  });
  afterAll(async () => {
    await serve?.stop();
    await mocks?.close();
    await dirs.removeAll();
    clearSecretsForTests();
  });

  it('lists its integrations with their schedule, next run and state, and the webhook inbox', async () => {
    const list = await checked('GET', '/api/integrations', '/api/integrations', 200);
    const byName = Object.fromEntries(list.items.map((i: { name: string }) => [i.name, i]));
    expect(byName[NAME]).toMatchObject({
      state: 'idle',
      schedule: 'every 1h',
      webhook: false,
      currentRunId: null,
      config: {
        source: { type: 'rest', auth: 'api_key' },
        destination: { auth: 'oauth2_client_credentials' },
      },
    });
    expect(Date.parse(byName[NAME].nextRunAt)).toBeGreaterThan(Date.now());
    expect(byName.events).toMatchObject({ state: 'idle', schedule: null, nextRunAt: null, webhook: true });

    const body = customerEvent(customer('501'));
    const forged = await serve.app.inject({
      method: 'POST',
      url: '/hooks/events',
      headers: signEvent(body, { id: 'msg_501', secret: 'whsec_b3RoZXItc2VjcmV0LTEyMzQ1Njc4OTAxMg==' }),
      payload: body,
    });
    expect(forged.statusCode).toBe(401);
    const inbox = await checked('GET', '/api/inbox', '/api/inbox', 200);
    expect(inbox).toMatchObject({
      available: true,
      items: [{ integration: 'events', pending: 0, received: 0, processed: 0, refused: { signature: 1 } }],
    });
  });

  it('pauses the schedule (its timer stops) and resumes it', async () => {
    const nextRun = /ferry_scheduler_next_run_timestamp_seconds\{integration="orders"\}/;
    const paused = await checked(
      'POST',
      `/api/integrations/${NAME}/pause`,
      '/api/integrations/{name}/pause',
      200,
    );
    expect(paused).toMatchObject({ state: 'paused', nextRunAt: null });
    expect(
      serve
        .runners()
        .find((r) => r.name === NAME)
        ?.nextRunAt(),
    ).toBeNull();
    expect((await serve.app.inject({ url: '/metrics' })).body).not.toMatch(nextRun);
    const resumed = await checked(
      'POST',
      `/api/integrations/${NAME}/resume`,
      '/api/integrations/{name}/resume',
      200,
    );
    expect(resumed.state).toBe('idle');
    expect(Date.parse(resumed.nextRunAt)).toBeGreaterThan(Date.now());
    expect((await serve.app.inject({ url: '/metrics' })).body).toMatch(nextRun);
  });

  it('runs now, refuses a second run meanwhile, and stops the run gracefully, telling each step as it happens', async () => {
    events.length = 0;
    const started = await checked(
      'POST',
      `/api/integrations/${NAME}/run`,
      '/api/integrations/{name}/run',
      202,
    );
    expect(started).toEqual({ integration: NAME, runId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    const again = await client.post(`/api/integrations/${NAME}/run`);
    expect(again.statusCode).toBe(409);
    expect(again.json().error.code).toBe('FERRY_ERR_BUSY');
    validator.expectValid('POST', '/api/integrations/{name}/run', 409, again.json());
    const live = await checked('GET', `/api/runs/${started.runId}`, '/api/runs/{id}', 200);
    expect(live).toMatchObject({ live: true, run: { status: 'running' } });

    const stopping = await checked(
      'POST',
      `/api/integrations/${NAME}/stop`,
      '/api/integrations/{name}/stop',
      202,
    );
    expect(stopping).toEqual({ integration: NAME, runId: started.runId });
    await waitFor(() => events.some((e) => e.type === 'run.finished'), 'the run to end');
    const ended = await checked('GET', `/api/runs/${started.runId}`, '/api/runs/{id}', 200);
    expect(ended).toMatchObject({ live: false, run: { status: 'interrupted' } });
    const missing = await client.post(`/api/integrations/${NAME}/stop`);
    expect(missing.statusCode).toBe(404);
    validator.expectValid('POST', '/api/integrations/{name}/stop', 404, missing.json());

    const states = events
      .filter((e) => e.type === 'integration' && e.integration.name === NAME)
      .map((e) => (e.type === 'integration' ? e.integration.state : ''));
    expect(states).toContain('running');
    expect(states).toContain('stopping');
    expect(states.at(-1)).toBe('idle');
    const own = events.filter((e) => 'runId' in e && e.runId === started.runId).map((e) => e.type);
    expect(own[0]).toBe('run.started');
    expect(own.at(-1)).toBe('run.finished');
    expect(events.find((e) => e.type === 'run.finished')).toMatchObject({ status: 'interrupted' });
  });

  it('replays the failed dead letters through the fixed mapping as one job of the integration', async () => {
    // The next run resumes the stopped one; the broken mapping has every valid order refused (failed).
    const { runId } = await serve.control.runNow(NAME);
    await waitFor(() => serve.control.get(NAME)?.state === 'idle', 'the resumed run to end', 30_000);
    const failed = await checked(
      'GET',
      `/api/dead-letters?integration=${NAME}&state=failed`,
      '/api/dead-letters',
      200,
    );
    expect(failed.total).toBeGreaterThan(0);
    expect(mocks.destination.orders()).toEqual([]);
    expect((await checked('GET', `/api/runs/${runId}`, '/api/runs/{id}', 200)).run.status).toBe(
      'completed_with_errors',
    );

    await writeMapping(false);
    events.length = 0;
    const started = await checked('POST', '/api/dead-letters/replay', '/api/dead-letters/replay', 202, {
      filter: { integration: NAME, state: 'failed' },
    });
    expect(started.count).toBe(failed.total);
    const [replay] = started.replays;
    expect(replay).toMatchObject({ integration: NAME, state: 'running' });
    // One job of an integration at a time: a replay is one.
    const busy = await client.post(`/api/integrations/${NAME}/run`);
    expect(busy.statusCode).toBe(409);
    expect(serve.control.get(NAME)?.state).toBe('replaying');

    await waitFor(() => events.some((e) => e.type === 'replay.finished'), 'the replay to end', 30_000);
    const ended = await checked('GET', `/api/replays/${replay.id}`, '/api/replays/{id}', 200);
    expect(ended).toMatchObject({ state: 'finished', status: 'completed', runId: expect.any(String) });
    expect(ended.counts.delivered + ended.counts.skipped).toBe(failed.total);
    expect(events.map((e) => e.type)).toContain('replay.started');
    const orderIds = mocks.destination.orders().map((o) => o.orderId);
    expect(new Set(orderIds).size).toBe(failed.total);
    expect(orderIds).toHaveLength(failed.total);
    const left = await checked(
      'GET',
      `/api/dead-letters?integration=${NAME}&state=failed`,
      '/api/dead-letters',
      200,
    );
    expect(left.total).toBe(0);
    const metrics = (await serve.app.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(
      /ferry_scheduler_runs_total\{integration="orders",trigger="replay",status="completed"\} 1/,
    );
  });

  it('holds the runs of webhook events while paused: they wait in the inbox and are taken on resume', async () => {
    const paused = await checked(
      'POST',
      '/api/integrations/events/pause',
      '/api/integrations/{name}/pause',
      200,
    );
    expect(paused.state).toBe('paused');
    const body = customerEvent(customer('502'));
    const stored = await serve.app.inject({
      method: 'POST',
      url: '/hooks/events',
      headers: signEvent(body, { id: 'msg_502' }),
      payload: body,
    });
    expect(stored.statusCode).toBe(202);
    // The event was stored and its run asked for before the answer: paused, none started.
    expect(serve.control.get('events')?.state).toBe('paused');
    expect((await checked('GET', '/api/inbox', '/api/inbox', 200)).items[0]).toMatchObject({
      pending: 1,
      received: 1,
    });
    await checked('POST', '/api/integrations/events/resume', '/api/integrations/{name}/resume', 200);
    await waitFor(
      () => mocks.destination.orders().some((o) => o.orderId === 'ORD-502'),
      'the order of the event',
    );
    await waitFor(
      async () => (await client.get('/api/inbox')).json().items[0].processed === 1,
      'the run to end',
    );
    expect((await client.get('/api/inbox')).json().items[0].pending).toBe(0);
  });
});
