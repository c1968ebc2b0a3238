import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { distinctValidCustomerIds } from '../../src/mocks/customer-rules.ts';
import { type MockDestinationHandle, startMockDestination } from '../../src/mocks/mock-destination.ts';
import { type MockSourceHandle, startMockSource } from '../../src/mocks/mock-source.ts';
import { runFerry } from '../support/ferry-cli.ts';
import { fetchClient, pendingEvents } from '../support/operations-client.ts';
import {
  customer,
  customerEvent,
  destinationYaml,
  signEvent,
  TEST_WEBHOOK_SECRET,
  waitFor,
  writePolledIntegration,
  writeWebhookIntegration,
} from '../support/serve-fixtures.ts';
import { type ServeProcess, startServeProcess } from '../support/serve-process.ts';
import { tempDirs } from '../support/temp-dirs.ts';

const dirs = tempDirs('ferry-serve-e2e-');
let destination: MockDestinationHandle;
let eventsDestination: MockDestinationHandle;
let source: MockSourceHandle;
let env: Record<string, string>;
const running: ServeProcess[] = [];
const SOURCE_COUNT = 400;

beforeAll(async () => {
  // Slow enough that a signal lands while orders are in flight.
  destination = await startMockDestination({ seed: 3, faults: { latencyMs: 20 } });
  // Slower still for events, so a kill lands while acknowledged events wait or are in flight.
  eventsDestination = await startMockDestination({ seed: 4, faults: { latencyMs: 300 } });
  source = await startMockSource({ count: SOURCE_COUNT, seed: 3 });
  env = {
    EVENTS_DEST_URL: eventsDestination.ordersUrl,
    EVENTS_DEST_TOKEN_URL: eventsDestination.tokenUrl,
    EVENTS_DEST_CLIENT_ID: eventsDestination.clientId,
    EVENTS_DEST_CLIENT_SECRET: eventsDestination.clientSecret,
    WEBHOOK_SECRET: TEST_WEBHOOK_SECRET,
    SOURCE_URL: `${source.url}?per_page=25`,
    SOURCE_API_KEY: source.apiKey,
    DEST_URL: destination.ordersUrl,
    DEST_TOKEN_URL: destination.tokenUrl,
    DEST_CLIENT_ID: destination.clientId,
    DEST_CLIENT_SECRET: destination.clientSecret,
  };
});
afterEach(async () => {
  for (const serve of running.splice(0)) {
    serve.ferry.kill('SIGKILL');
    await serve.ferry.done;
  }
  destination.reset();
  eventsDestination.reset();
});
afterAll(async () => {
  await Promise.all([destination.close(), eventsDestination.close(), source.close(), dirs.removeAll()]);
});

async function serveProcess(args: readonly string[]): Promise<ServeProcess> {
  const serve = await startServeProcess(args, env);
  running.push(serve);
  return serve;
}

async function post(url: string, name: string, id: string, body: string): Promise<number> {
  const response = await fetch(`${url}/hooks/${name}`, {
    method: 'POST',
    headers: signEvent(body, { id }),
    body,
  });
  await response.text();
  return response.status;
}

function orderIds(): string[] {
  return destination.orders().map((o) => o.orderId);
}

describe('ferry serve as a process', () => {
  it('refuses to start on an invalid file with exit code 2, listing the problems', async () => {
    const dir = await dirs.make();
    await writeFile(
      join(dir, 'broken.yaml'),
      'version: 1\nname: broken\nsource: {type: webhook}\nmapping: m.yaml\ndestination: {type: rest, url: "https://x.test"}\n',
    );
    const result = await runFerry(['serve', dir, '--port', '0', '--state', join(dir, 'state')], { env });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('ferry serve cannot start');
    expect(result.stderr).toMatch(/broken\.yaml:3:\d+ source.signature/);
  });

  it('refuses to listen beyond loopback without authentication, with exit code 2, opening no ledger', async () => {
    const dir = await dirs.make();
    await writePolledIntegration(dir, 'polled');
    const state = join(dir, 'state');
    const result = await runFerry(['serve', dir, '--host', '0.0.0.0', '--port', '0', '--state', state], {
      env,
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /ferry: refusing to listen on 0\.0\.0\.0 without authentication: .* Give --api-token-file FILE .* \[FERRY_ERR_UNSAFE_BINDING\]/,
    );
    expect(existsSync(state)).toBe(false);
  });

  it('after kill -9, a restart resumes the interrupted run and processes every acknowledged event, each order once', async () => {
    const dir = await dirs.make();
    const state = join(dir, 'state');
    await writePolledIntegration(dir, 'polled', { schedule: 'schedule:\n  every: 1h\n' });
    await writeWebhookIntegration(dir, 'events', { destination: destinationYaml('', 'EVENTS_DEST') });
    const args = [dir, '--state', state, '--port', '0'];

    const first = await serveProcess(args);
    await waitFor(() => destination.orders().length >= 60, 'the scheduled run to be under way');
    const ids = Array.from({ length: 40 }, (_, i) => String(9000 + i));
    const statuses = await Promise.all(
      ids.map((id) => post(first.url, 'events', `msg_${id}`, customerEvent(customer(id)))),
    );
    first.ferry.kill('SIGKILL');
    await first.ferry.done;
    expect(statuses.every((status) => status === 202)).toBe(true);
    // Killed with both runs unfinished: acknowledged events waited in the inbox or were in flight.
    expect(eventsDestination.stats().ordersStored).toBeLessThan(ids.length);
    expect(destination.stats().ordersStored).toBeLessThan(SOURCE_COUNT);

    const second = await serveProcess(args);
    expect(second.ferry.stderr()).toContain('resuming the last run');
    const polled = new Set(distinctValidCustomerIds(3, SOURCE_COUNT).map((id) => `ORD-${id}`));
    const events = new Set(ids.map((id) => `ORD-${id}`));
    await waitFor(() => new Set(orderIds()).size === polled.size, 'every polled order', 60_000);
    await waitFor(
      () => new Set(eventsDestination.orders().map((o) => o.orderId)).size === events.size,
      'every event order',
      60_000,
    );
    await waitFor(async () => (await pendingEvents(second.url)) === 0, 'the inbox to drain');
    expect(new Set(orderIds())).toEqual(polled);
    expect(new Set(eventsDestination.orders().map((o) => o.orderId))).toEqual(events);
    expect(destination.stats().duplicates).toBe(0);
    expect(eventsDestination.stats().duplicates).toBe(0);

    second.ferry.kill('SIGTERM');
    const ended = await second.ferry.done;
    running.splice(running.indexOf(second), 1);
    expect(ended.code).toBe(143);
    expect(ended.stderr).toContain('"msg":"stopped"');
  });

  it('on SIGTERM answers webhooks 503, settles the run in flight and exits 143; SIGINT exits 130', async () => {
    const dir = await dirs.make();
    const state = join(dir, 'state');
    await writePolledIntegration(dir, 'polled', { schedule: 'schedule:\n  every: 1h\n' });
    await writeWebhookIntegration(dir, 'events');
    const args = [dir, '--state', state, '--port', '0', '--grace', '20s'];
    const serve = await serveProcess(args);
    await waitFor(() => destination.orders().length >= 20, 'the run to be under way');
    serve.ferry.kill('SIGTERM');
    await serve.ferry.waitForStderr(/SIGTERM: stopping/);
    const body = customerEvent(customer('9100'));
    // Until the port closes, a sender is told to come back.
    const during = await fetch(`${serve.url}/hooks/events`, {
      method: 'POST',
      headers: signEvent(body, { id: 'msg_9100' }),
      body,
    }).then(
      (r) => r.status,
      () => 'closed',
    );
    expect([503, 'closed']).toContain(during);
    const ended = await serve.ferry.done;
    running.splice(running.indexOf(serve), 1);
    expect(ended.code).toBe(143);
    expect(ended.stderr).toMatch(/"status":"interrupted"/);
    // What was in flight settled: nothing is left in flight for the next start to reconcile.
    expect(ended.stderr).not.toContain('stopping now');

    const again = await serveProcess(args);
    await again.ferry.waitForStderr(/resuming the last run/);
    await waitFor(
      () => new Set(orderIds()).size === distinctValidCustomerIds(3, SOURCE_COUNT).length,
      'the resumed run',
      60_000,
    );
    expect(destination.stats().duplicates).toBe(0);
    again.ferry.kill('SIGINT');
    const interrupted = await again.ferry.done;
    running.splice(running.indexOf(again), 1);
    expect(interrupted.code).toBe(130);
  });

  it('SIGHUP reloads: an invalid file keeps the integrations running and says why; a valid one is applied', async () => {
    const dir = await dirs.make();
    await writeWebhookIntegration(dir, 'events');
    const serve = await serveProcess([dir, '--state', join(dir, 'state'), '--port', '0']);
    await writeFile(
      join(dir, 'added.yaml'),
      'version: 1\nname: added\nsource: {type: rest}\nmapping: m.yaml\ndestination: {type: rest, url: "https://x.test"}\n',
    );
    serve.ferry.kill('SIGHUP');
    await serve.ferry.waitForStderr(
      /reload refused; the integrations loaded before keep running:[^"]*added\.yaml:3/,
    );
    const body = customerEvent(customer('9200'));
    expect(await post(serve.url, 'events', 'msg_9200', body)).toBe(202);
    await waitFor(() => orderIds().includes('ORD-9200'), 'the order of the event');

    await writePolledIntegration(dir, 'added');
    serve.ferry.kill('SIGHUP');
    await serve.ferry.waitForStderr(/reloaded: serving 2 integrations/);
    const run = await (await fetchClient(serve.url)).post('/api/integrations/added/run');
    expect(run.status).toBe(202);
    await waitFor(
      () => new Set(orderIds()).size === 1 + distinctValidCustomerIds(3, SOURCE_COUNT).length,
      'the added run',
      60_000,
    );
  });
});
