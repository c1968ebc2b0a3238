/**
 * Workers on several processes: `ferry run` on a PostgreSQL ledger reads and enqueues pages, `ferry worker`
 * processes take and send them, and every order reaches the destination exactly once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { expectedCustomers } from '../../src/mocks/index.ts';
import { auditOrders, parseReport } from '../guarantees/audit-orders.ts';
import { type FerryProcess, flagshipConfig, runFerry, startFerry } from '../support/ferry-cli.ts';
import { type FlagshipMocks, startFlagshipMocks } from '../support/flagship-mocks.ts';
import { fetchClient } from '../support/operations-client.ts';
import { createTestDatabase, postgresServer } from '../support/postgres.ts';
import { startServeProcess } from '../support/serve-process.ts';

const seed = 2112;
const count = 1200;

let mocks: FlagshipMocks | undefined;
const workers: FerryProcess[] = [];
afterEach(async () => {
  for (const worker of workers.splice(0)) {
    worker.kill('SIGKILL');
    await worker.done;
  }
  await mocks?.close();
  mocks = undefined;
});

/** Lines of a JSON log that carry this message. */
function logLines(stderr: string, msg: string): Record<string, unknown>[] {
  return stderr
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((line) => line.msg === msg);
}

describe('ferry worker', () => {
  it('takes the pages a run enqueues: two workers share them, and every order arrives once', async () => {
    mocks = await startFlagshipMocks({ count, seed, perPage: 40, destinationFaults: { latencyMs: 5 } });
    const database = await createTestDatabase('ferry_workers');
    const env = { ...mocks.env, PGPASSWORD: postgresServer().password };
    for (let i = 0; i < 2; i++) {
      const worker = startFerry(
        ['worker', flagshipConfig, '--state', database.url, '--log-level', 'debug', '--log-format', 'json'],
        { env },
      );
      workers.push(worker);
      await worker.waitForStderr(/worker started/);
    }
    const run = await runFerry(['run', flagshipConfig, '--state', database.url, '--json', '--no-progress'], {
      env,
    });
    const report = parseReport(run.stdout, run.stderr);
    expect(report.counts.read, run.stderr).toBe(count);
    expect(report.counts.failed).toBe(0);

    const audit = auditOrders(mocks.destination.orders(), seed, count);
    expect(audit.missing).toEqual([]);
    expect(audit.duplicated).toEqual([]);
    expect(audit.stored).toBe(expectedCustomers(seed, count).distinctValidIds.length);

    const settledBy = workers.map((worker) => logLines(worker.stderr(), 'page settled').length);
    // 1200 customers in pages of 40: every page was settled by one of the workers, none by the reader.
    expect(settledBy.reduce((a, b) => a + b, 0)).toBe(count / 40);
    expect(Math.min(...settledBy)).toBeGreaterThan(0);

    for (const worker of workers) worker.kill('SIGTERM');
    const ended = await Promise.all(workers.splice(0).map((worker) => worker.done));
    expect(ended.map((e) => e.code)).toEqual([143, 143]);
  }, 120_000);

  it('takes the pages of the runs ferry serve starts on PostgreSQL', async () => {
    mocks = await startFlagshipMocks({ count: 300, seed, perPage: 50 });
    const database = await createTestDatabase('ferry_serve_workers');
    const env = { ...mocks.env, PGPASSWORD: postgresServer().password };
    const worker = startFerry(
      ['worker', flagshipConfig, '--state', database.url, '--log-level', 'debug', '--log-format', 'json'],
      { env },
    );
    workers.push(worker);
    await worker.waitForStderr(/worker started/);
    const serve = await startServeProcess([flagshipConfig, '--state', database.url, '--port', '0'], env);
    workers.push(serve.ferry);
    const started = await (await fetchClient(serve.url)).post('/api/integrations/customers-to-orders/run');
    expect(started.status).toBe(202);
    await serve.ferry.waitForStderr(/"msg":"run finished"/, 60_000);

    const audit = auditOrders(mocks.destination.orders(), seed, 300);
    expect(audit.missing).toEqual([]);
    expect(audit.duplicated).toEqual([]);
    expect(logLines(worker.stderr(), 'page settled')).toHaveLength(300 / 50);
  }, 120_000);
});
