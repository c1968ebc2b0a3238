import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { clearSecretsForTests } from '../../src/core/secret-registry.ts';
import { type MockDestinationHandle, startMockDestination } from '../../src/mocks/mock-destination.ts';
import { type MockSourceHandle, startMockSource } from '../../src/mocks/mock-source.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { type Serve, startServe } from '../../src/server/serve.ts';
import { createMemoryLedger, type MemoryLedger } from '../support/memory-ledger.ts';
import { injectClient } from '../support/operations-client.ts';
import {
  customer,
  customerEvent,
  signEvent,
  startHangingServer,
  TEST_WEBHOOK_SECRET,
  waitFor,
  writePolledIntegration,
  writeWebhookIntegration,
} from '../support/serve-fixtures.ts';
import { tempDirs } from '../support/temp-dirs.ts';

const dirs = tempDirs('ferry-serve-');
const logger = createLogger({ level: 'silent' });
let destination: MockDestinationHandle;
let source: MockSourceHandle;
let env: Record<string, string>;
const started: Serve[] = [];

beforeAll(async () => {
  destination = await startMockDestination({ seed: 7 });
  source = await startMockSource({ count: 30, seed: 7 });
  env = {
    WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
    SOURCE_URL: source.url,
    SOURCE_API_KEY: source.apiKey,
    DEST_URL: destination.ordersUrl,
    DEST_TOKEN_URL: destination.tokenUrl,
    DEST_CLIENT_ID: destination.clientId,
    DEST_CLIENT_SECRET: destination.clientSecret,
  };
});
afterEach(async () => {
  await Promise.all(started.splice(0).map((serve) => serve.stop()));
  destination.reset();
  clearSecretsForTests();
});
afterAll(async () => {
  await Promise.all([destination.close(), source.close(), dirs.removeAll()]);
});

async function serveDir(
  dir: string,
  more: { ledger?: MemoryLedger; apiToken?: string; env?: Record<string, string>; retryBaseMs?: number } = {},
): Promise<{ serve: Serve; ledger: MemoryLedger }> {
  const ledger = more.ledger ?? createMemoryLedger();
  const serve = await startServe({
    paths: [dir],
    port: 0,
    env: more.env ?? env,
    logger,
    ledger,
    graceMs: 200,
    ...(more.apiToken ? { apiToken: more.apiToken } : {}),
    ...(more.retryBaseMs ? { retryBaseMs: more.retryBaseMs } : {}),
  });
  started.push(serve);
  return { serve, ledger };
}

function hook(serve: Serve, name: string, body: string, headers: Record<string, string>) {
  return serve.app.inject({ method: 'POST', url: `/hooks/${name}`, headers, payload: body });
}

describe('ferry serve refuses to start on any invalid integration', () => {
  it('lists every problem of every file, with file and line', async () => {
    const dir = await dirs.make();
    await writeFile(
      join(dir, 'a.yaml'),
      'version: 1\nname: a\nsource:\n  type: rest\n  url: 12\nmapping: x\ndestination: {type: rest, url: "https://x.test"}\n',
    );
    await writeFile(
      join(dir, 'b.yaml'),
      'version: 1\nname: b\nsource: {type: nope}\nmapping: x\ndestination: {type: rest, url: "https://x.test"}\nschedule: {every: 1s, cron: "* * * * *"}\n',
    );
    await writeFile(join(dir, 'not-an-integration.yaml'), 'key: customer_id\n');
    const error = await startServe({ paths: [dir], port: 0, env, logger, ledger: createMemoryLedger() }).then(
      () => expect.fail('serve started'),
      (e: unknown) => e as Error,
    );
    expect(error.message).toMatch(/ferry serve cannot start: \d+ problems/);
    expect(error.message).toMatch(/a\.yaml:5:\d+ source\.url/);
    expect(error.message).toMatch(/b\.yaml:3/);
    expect(error.message).toContain('give either cron or every');
    expect(error.message).not.toContain('not-an-integration');
  });

  it('refuses two files that give one name', async () => {
    const dir = await dirs.make();
    await writeWebhookIntegration(dir, 'same', { file: 'one.yaml' });
    await writeWebhookIntegration(dir, 'same', { file: 'two.yaml' });
    await expect(
      startServe({ paths: [dir], port: 0, env, logger, ledger: createMemoryLedger() }),
    ).rejects.toThrow(/the name "same" is used by .*one\.yaml and .*two\.yaml/);
  });
});

describe('webhooks', () => {
  it('stores a signed event before answering 202, and delivers its order once', async () => {
    const dir = await dirs.make();
    await writeWebhookIntegration(dir, 'events');
    const { serve, ledger } = await serveDir(dir);
    const body = customerEvent(customer('101'));
    const answer = await hook(serve, 'events', body, signEvent(body, { id: 'msg_101' }));
    expect(answer.statusCode).toBe(202);
    expect(answer.json()).toEqual({ status: 'accepted' });
    await waitFor(() => destination.orders().length === 1, 'the order');
    expect(destination.orders()[0]).toMatchObject({
      orderId: 'ORD-101',
      customerInfo: { name: 'Ada Lovelace' },
    });
    // Redelivered (a new signature and time, the same id): acknowledged, not processed twice.
    const again = await hook(serve, 'events', body, signEvent(body, { id: 'msg_101' }));
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ status: 'duplicate' });
    await waitFor(async () => (await ledger.inboxStats('events')).pending === 0, 'the inbox to drain');
    expect(destination.stats()).toMatchObject({ ordersStored: 1, duplicates: 0 });
    // One run took the event and ended once idle; the redelivery queued no empty run after it.
    await waitFor(() => serve.runners()[0]?.current() === null, 'the run to end');
    expect((await ledger.listRuns({ integration: 'events' })).map((r) => r.counts.read)).toEqual([1]);
  });

  it('answers every bad signature with the same 401 and stores nothing', async () => {
    const dir = await dirs.make();
    await writeWebhookIntegration(dir, 'events');
    const { serve, ledger } = await serveDir(dir);
    const body = customerEvent(customer('102'));
    const good = signEvent(body, { id: 'msg_102' });
    const attempts: Record<string, Record<string, string>> = {
      'another secret': signEvent(body, {
        id: 'msg_102',
        secret: 'whsec_b3RoZXItc2VjcmV0LTEyMzQ1Njc4OTAxMg==',
      }),
      'a changed id': { ...good, 'webhook-id': 'msg_other' },
      'no signature': {
        'content-type': 'application/json',
        'webhook-id': 'msg_102',
        'webhook-timestamp': good['webhook-timestamp']!,
      },
      'a stale timestamp': signEvent(body, { id: 'msg_102', atSeconds: Math.floor(Date.now() / 1000) - 301 }),
      'a future timestamp': signEvent(body, {
        id: 'msg_102',
        atSeconds: Math.floor(Date.now() / 1000) + 301,
      }),
      'a signature cut short': { ...good, 'webhook-signature': good['webhook-signature']!.slice(0, 20) },
    };
    const bodies = new Set<string>();
    for (const [what, headers] of Object.entries(attempts)) {
      const answer = await hook(serve, 'events', body, headers);
      expect(answer.statusCode, what).toBe(401);
      bodies.add(answer.body);
    }
    const tampered = await hook(serve, 'events', body.replace('ada.102', 'eve.102'), good);
    expect(tampered.statusCode).toBe(401);
    bodies.add(tampered.body);
    expect([...bodies]).toEqual(['{"error":"unauthorized","message":"missing or invalid signature"}']);
    expect(await ledger.inboxStats('events')).toEqual({ pending: 0, oldestPendingAt: null });
    expect(await ledger.inboxRead('events', 0, 10)).toEqual([]);
  });

  it('answers 413 to a body over the limit, 400 to one that is not JSON or has no id, 404 to an unknown name', async () => {
    const dir = await dirs.make();
    await writeWebhookIntegration(dir, 'events');
    const { serve, ledger } = await serveDir(dir);
    const big = customerEvent({ ...customer('103'), note: 'x'.repeat(70 * 1024) });
    const large = await hook(serve, 'events', big, signEvent(big, { id: 'msg_big' }));
    expect(large.statusCode).toBe(413);
    const notJson = await hook(serve, 'events', 'not json', signEvent('not json', { id: 'msg_nj' }));
    expect(notJson.statusCode).toBe(400);
    expect(notJson.json()).toEqual({ error: 'bad_request', message: 'the body is not JSON' });
    // The body is read as bytes whatever its declared type: the signature is over them.
    const plain = customerEvent(customer('105'));
    const { 'content-type': _, ...untyped } = signEvent(plain, { id: 'msg_105' });
    expect(
      (await hook(serve, 'events', plain, { ...untyped, 'content-type': 'text/plain' })).statusCode,
    ).toBe(202);
    const deep = `${'['.repeat(100)}${']'.repeat(100)}`;
    expect((await hook(serve, 'events', deep, signEvent(deep, { id: 'msg_deep' }))).json()).toMatchObject({
      message: 'the body is nested more than 64 levels deep',
    });
    const unknown = await hook(serve, 'nobody', '{}', signEvent('{}', { id: 'msg_x' }));
    expect(unknown.statusCode).toBe(404);
    const ping = JSON.stringify({ type: 'ping', timestamp: new Date().toISOString() });
    const ignored = await hook(serve, 'events', ping, signEvent(ping, { id: 'msg_ping' }));
    expect(ignored.statusCode).toBe(200);
    expect(ignored.json()).toMatchObject({ status: 'ignored' });
    await waitFor(async () => (await ledger.inboxStats('events')).pending === 0, 'the inbox to drain');
    expect((await ledger.inboxRead('events', 0, 10)).map((e) => e.eventId)).toEqual([]);
  });

  it('takes the newest event of a customer whatever the delivery order: an older one arriving later is stale', async () => {
    const dir = await dirs.make();
    await writeWebhookIntegration(dir, 'events');
    const { serve } = await serveDir(dir);
    const newer = customerEvent(customer('104', '9 New St'), {
      type: 'customer.updated',
      timestamp: '2030-01-01T00:00:02Z',
    });
    const older = customerEvent(customer('104', '1 Old St'), { timestamp: '2030-01-01T00:00:01Z' });
    expect((await hook(serve, 'events', newer, signEvent(newer, { id: 'msg_104b' }))).statusCode).toBe(202);
    const late = await hook(serve, 'events', older, signEvent(older, { id: 'msg_104a' }));
    expect(late.statusCode).toBe(200);
    expect(late.json()).toMatchObject({ status: 'stale' });
    await waitFor(() => destination.orders().length === 1, 'the order');
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(destination.orders()).toEqual([
      expect.objectContaining({ shippingAddress: expect.objectContaining({ line1: '9 New St' }) }),
    ]);
  });

  it('answers 503 with Retry-After while the inbox is full, and while stopping', async () => {
    const hanging = await startHangingServer();
    try {
      const dir = await dirs.make();
      await writeWebhookIntegration(dir, 'slow', {
        maxPending: 2,
        destination: `destination:\n  type: rest\n  url: ${hanging.url}/orders\n  timeouts: { connect: 1s, headers: 60s, body: 60s }\n`,
      });
      const { serve, ledger } = await serveDir(dir);
      for (const id of ['201', '202']) {
        const body = customerEvent(customer(id));
        expect((await hook(serve, 'slow', body, signEvent(body, { id: `msg_${id}` }))).statusCode).toBe(202);
      }
      await waitFor(() => hanging.requests() > 0, 'the run to send');
      const body = customerEvent(customer('203'));
      const full = await hook(serve, 'slow', body, signEvent(body, { id: 'msg_203' }));
      expect(full.statusCode).toBe(503);
      expect(full.headers['retry-after']).toBe('30');
      expect((await ledger.inboxStats('slow')).pending).toBe(2);

      const stopping = serve.stop();
      const during = await hook(serve, 'slow', body, signEvent(body, { id: 'msg_203' }));
      expect(during.statusCode).toBe(503);
      expect(during.headers['retry-after']).toBe('5');
      await stopping;
      // Nothing acknowledged is lost: both events still wait for the next start.
      expect((await ledger.inboxStats('slow')).pending).toBe(2);
    } finally {
      await hanging.close();
    }
  });
});

describe('schedules and runs', () => {
  it('runs a scheduled integration at start when it never ran, then on its ticks', async () => {
    const dir = await dirs.make();
    await writePolledIntegration(dir, 'polled', { schedule: 'schedule:\n  every: 1s\n' });
    const { serve, ledger } = await serveDir(dir);
    await waitFor(() => destination.orders().length > 0, 'the first run at start');
    await waitFor(
      async () => (await ledger.listRuns({ integration: 'polled' })).length >= 2,
      'a second run on a tick',
    );
    const runs = await ledger.listRuns({ integration: 'polled' });
    expect(
      runs.every(
        (r) => r.status === 'completed' || r.status === 'completed_with_errors' || r.status === 'running',
      ),
    ).toBe(true);
    expect(destination.stats().duplicates).toBe(0);
    const listing = (await (await injectClient(serve.app)).get('/api/integrations')).json();
    expect(listing.items[0]).toMatchObject({ name: 'polled', schedule: 'every 1s' });
  });

  it('waits for the first tick with on_start: wait', async () => {
    const dir = await dirs.make();
    await writePolledIntegration(dir, 'waiting', { schedule: 'schedule:\n  every: 1h\n  on_start: wait\n' });
    const { serve, ledger } = await serveDir(dir);
    const listing = (await (await injectClient(serve.app)).get('/api/integrations')).json();
    expect(listing.items[0].nextRunAt).not.toBeNull();
    expect(await ledger.listRuns({ integration: 'waiting' })).toEqual([]);
  });

  it('skips and counts a tick that comes while a run goes on, never running two at once', async () => {
    const hanging = await startHangingServer();
    try {
      const dir = await dirs.make();
      await writePolledIntegration(dir, 'busy', {
        schedule: 'schedule:\n  every: 1s\n',
        destination: `destination:\n  type: rest\n  url: ${hanging.url}/orders\n  timeouts: { connect: 1s, headers: 60s, body: 60s }\n`,
      });
      const { serve, ledger } = await serveDir(dir);
      await waitFor(() => hanging.requests() > 0, 'the first run to send');
      await waitFor(() => (serve.runners()[0]?.ticksSkipped() ?? 0) >= 1, 'a skipped tick', 5000);
      expect((await ledger.listRuns({ integration: 'busy' })).length).toBe(1);
      const metrics = (await serve.app.inject({ method: 'GET', url: '/metrics' })).body;
      expect(metrics).toMatch(/ferry_scheduler_ticks_skipped_total\{integration="busy"\} [1-9]/);
      expect(metrics).toMatch(/ferry_scheduler_running\{integration="busy"\} 1/);
      const client = await injectClient(serve.app);
      expect((await client.post('/api/integrations/busy/run')).statusCode).toBe(409);
    } finally {
      await hanging.close();
    }
  });

  it('retries a failed run of an integration fed by events, and a reload applies the fix', async () => {
    const dir = await dirs.make();
    await writeWebhookIntegration(dir, 'events');
    const broken = { ...env, DEST_CLIENT_SECRET: 'not-the-secret-at-all' };
    const { serve, ledger } = await serveDir(dir, { env: broken, retryBaseMs: 100 });
    const body = customerEvent(customer('301'));
    expect((await hook(serve, 'events', body, signEvent(body, { id: 'msg_301' }))).statusCode).toBe(202);
    await waitFor(
      async () => (await ledger.listRuns({ integration: 'events' })).some((r) => r.status === 'aborted'),
      'an aborted run',
    );
    await waitFor(async () => (await ledger.listRuns({ integration: 'events' })).length >= 2, 'a retry');
    broken.DEST_CLIENT_SECRET = env.DEST_CLIENT_SECRET!;
    expect(await serve.reload()).toEqual([]);
    await waitFor(() => destination.orders().length === 1, 'the order after the fix', 20_000);
    // The destination stores the order before the run settles its event in the inbox: waited for, not raced.
    await waitFor(async () => (await ledger.inboxStats('events')).pending === 0, 'the event settled');
    expect((await ledger.inboxStats('events')).pending).toBe(0);
  });
});

describe('run now', () => {
  it('starts a run of an integration without schedule or webhook when asked by a same-origin request', async () => {
    const dir = await dirs.make();
    await writePolledIntegration(dir, 'manual');
    const { serve, ledger } = await serveDir(dir);
    expect(await ledger.listRuns({ integration: 'manual' })).toEqual([]);
    const client = await injectClient(serve.app);
    const answer = await client.post('/api/integrations/manual/run');
    expect(answer.statusCode).toBe(202);
    await waitFor(() => destination.orders().length > 0, 'the run');
    expect((await client.post('/api/integrations/other/run')).statusCode).toBe(404);
    // A page of another site cannot make a local browser start runs, nor can a name rebound to 127.0.0.1.
    const crossSite = await serve.app.inject({
      method: 'POST',
      url: '/api/integrations/manual/run',
      headers: { host: '127.0.0.1', origin: 'https://evil.example.com' },
    });
    expect(crossSite.statusCode).toBe(403);
    const rebound = await serve.app.inject({
      method: 'GET',
      url: '/api/integrations',
      headers: { host: 'evil.example.com' },
    });
    expect(rebound.statusCode).toBe(403);
  });

  it('requires the token from everyone when given one, and still answers health checks without it', async () => {
    const dir = await dirs.make();
    await writePolledIntegration(dir, 'manual');
    const token = 'tok-0123456789abcdef-serve';
    const { serve } = await serveDir(dir, { apiToken: token });
    const without = await serve.app.inject({ method: 'POST', url: '/api/integrations/manual/run' });
    expect(without.statusCode).toBe(401);
    const wrong = await serve.app.inject({
      method: 'GET',
      url: '/api/integrations',
      headers: { authorization: 'Bearer tok-0123456789abcdef-serv' },
    });
    expect(wrong.statusCode).toBe(401);
    const page = await serve.app.inject({ method: 'GET', url: '/' });
    expect(page.statusCode).toBe(303);
    expect(page.headers.location).toBe('/login?next=%2F');
    const remote = await serve.app.inject({
      method: 'GET',
      url: '/api/integrations',
      remoteAddress: '10.1.2.3',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(remote.statusCode).toBe(200);
    expect((await serve.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect((await serve.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(200);
  });

  it('refuses to listen beyond loopback without authentication, before opening anything', async () => {
    const dir = await dirs.make();
    await writePolledIntegration(dir, 'manual');
    const ledger = createMemoryLedger();
    await expect(
      startServe({ paths: [dir], host: '0.0.0.0', port: 0, env, logger, ledger }),
    ).rejects.toMatchObject({ code: 'FERRY_ERR_UNSAFE_BINDING' });
  });
});

describe('health, readiness, metrics and reloads', () => {
  it('answers /healthz and /readyz, and serves every run metric with an integration label plus its own figures', async () => {
    const dir = await dirs.make();
    await writeWebhookIntegration(dir, 'events');
    const { serve } = await serveDir(dir);
    expect((await serve.app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    expect((await serve.app.inject({ method: 'GET', url: '/readyz' })).json()).toEqual({
      status: 'ready',
      integrations: 1,
    });
    const body = customerEvent(customer('401'));
    await hook(serve, 'events', body, signEvent(body, { id: 'msg_401' }));
    await waitFor(() => destination.orders().length === 1, 'the order');
    await waitFor(() => serve.runners()[0]?.lastRun() !== null, 'the run to end');
    const metrics = (await serve.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/ferry_records_total\{integration="events",state="delivered"\} 1/);
    expect(metrics).toMatch(
      /ferry_http_requests_total\{integration="events",endpoint="destination",status="201"\} 1/,
    );
    expect(metrics).toMatch(/ferry_webhook_requests_total\{integration="events",outcome="accepted"\} 1/);
    expect(metrics).toMatch(/ferry_inbox_pending_events\{integration="events"\} 0/);
    expect(metrics).toMatch(
      /ferry_scheduler_runs_total\{integration="events",trigger="events",status="completed"\} 1/,
    );
    expect(metrics).toMatch(/ferry_integrations_loaded 1/);
  });

  it('applies a valid reload and keeps the running integrations when the new files are invalid', async () => {
    const dir = await dirs.make();
    await writeWebhookIntegration(dir, 'events');
    const { serve } = await serveDir(dir);
    await writePolledIntegration(dir, 'added');
    expect(await serve.reload()).toEqual([]);
    expect(
      serve
        .runners()
        .map((r) => r.name)
        .sort(),
    ).toEqual(['added', 'events']);
    await writeFile(join(dir, 'added.yaml'), 'version: 1\nname: added\nsource: {type: rest}\n');
    const problems = await serve.reload();
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0]?.file).toContain('added.yaml');
    expect(
      serve
        .runners()
        .map((r) => r.name)
        .sort(),
    ).toEqual(['added', 'events']);
    const metrics = (await serve.app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/ferry_config_reloads_total\{outcome="refused"\} 1/);
    expect(metrics).toMatch(/ferry_config_reloads_total\{outcome="applied"\} 1/);
  });
});
