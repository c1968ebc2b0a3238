import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import {
  createPostgres,
  destroyPostgres,
  type PostgresTestServer,
} from '../test/support/postgres-cluster.ts';
import { type MockProcesses, ROOT, startMockProcesses } from './mock-processes.ts';
import { type FerryReport, launcherEnv, launcherNodeFlags } from './run-ferry.ts';

/** The flagship with destination.concurrency raised to the cluster's total (bench/scale-flagship.yaml). */
const SCALE_CONFIG = join(ROOT, 'bench/scale-flagship.yaml');
const FLAGSHIP = join(ROOT, 'examples/customers-to-orders.yaml');
const FERRY = join(ROOT, 'bin/ferry.js');
/** Records each worker sends at once. */
export const PER_WORKER = 16;

/** One cluster run: a reader and `workers` worker processes. */
export interface ClusterRun {
  workers: number;
  customers: number;
  durationMs: number;
  recordsPerSec: number;
  /** Orders the destination accepted per second of the run. */
  postsPerSec: number;
  /** Requests to the orders API (orders and lookups) it answered other than 429, per second. */
  requestsPerSec: number;
  /** Requests to the orders API, 429s included. */
  requests: number;
  answered429: number;
  /** The machine's 1-minute load average before and after the run. */
  load: [number, number];
}

/** 1, 2 and 4 workers against a destination that answers after `latencyMs`. */
export interface LatencySeries {
  latencyMs: number;
  /** `overLinear` is each run over N x one worker's. */
  runs: (ClusterRun & { overLinear: number })[];
}

/** What `npm run bench -- scale` measures. */
export interface ScaleResult {
  /**
   * One series per latency: at 20 ms four workers need more CPU than two shared cores have; at 100 ms
   * they need a fifth as much, so that series shows the scaling where the machine is not the limit.
   */
  latency: LatencySeries[];
  rateLimit: ClusterRun & { limitPerSec: number; achievedOverLimit: number; share429: number };
  /**
   * For reference, measured in the same session (the machine's load moves the figures): one process on
   * SQLite against each of the two destinations, as scenarios 2 and 3 of the main bench run it.
   */
  baseline: { latency: ClusterRun & { latencyMs: number }; rateLimit: ClusterRun };
  /** One process (no workers) on each ledger against a destination without latency. */
  ledgers: { sqlite: ClusterRun; postgres: ClusterRun };
}

function ferryEnv(mocks: MockProcesses, server: PostgresTestServer, perPage: number): NodeJS.ProcessEnv {
  return {
    ...process.env,
    ...launcherEnv,
    ...mocks.env,
    SOURCE_URL: `${mocks.env.SOURCE_URL}?per_page=${perPage}`,
    PGPASSWORD: server.password,
  };
}

function startNode(args: readonly string[], env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, [...launcherNodeFlags, FERRY, ...args], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}

/** Starts a `ferry worker` and resolves once it serves its queue. */
async function startWorker(url: string, env: NodeJS.ProcessEnv): Promise<ChildProcess> {
  const child = startNode(
    ['worker', SCALE_CONFIG, '--state', url, '--concurrency', String(PER_WORKER), '--log-level', 'info'],
    env,
  );
  let stderr = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
      if (stderr.includes('worker started')) resolve();
    });
    child.once('exit', (code) =>
      reject(new Error(`ferry worker exited with ${code}: ${stderr.slice(-2000)}`)),
    );
  });
  child.stderr?.resume();
  return child;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}

async function createDatabase(server: PostgresTestServer, name: string): Promise<string> {
  const admin = new pg.Client({ ...server, database: 'postgres' });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  return `postgres://${server.user}@${server.host}:${server.port}/${name}`;
}

/** Runs `ferry run` to its end and reads its report and the destination's counts. */
async function runReader(
  config: string,
  state: string,
  env: NodeJS.ProcessEnv,
  mocks: MockProcesses,
): Promise<Omit<ClusterRun, 'workers' | 'customers'>> {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-bench-scale-'));
  const reportFile = join(dir, 'report.json');
  const before = loadavg()[0]!;
  try {
    const child = startNode(
      ['run', config, '--state', state, '--report', reportFile, '--no-progress', '--log-level', 'warn'],
      env,
    );
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-4000);
    });
    const [code] = (await once(child, 'exit')) as [number | null];
    let report: FerryReport;
    try {
      report = JSON.parse(await readFile(reportFile, 'utf8')) as FerryReport;
    } catch {
      throw new Error(`ferry run exited ${String(code)} without a report: ${stderr}`);
    }
    const stats = await mocks.destinationStats();
    const posts = stats.requests['POST /api/v2/orders'] ?? {};
    const accepted = Object.entries(posts)
      .filter(([status]) => status.startsWith('2'))
      .reduce((sum, [, n]) => sum + n, 0);
    // Every request to the orders API counts against its limit: the orders, and the lookups a new ledger
    // makes before each first send.
    const orderRoutes = Object.entries(stats.requests).filter(([route]) => route.includes('/api/v2/orders'));
    const byStatus = orderRoutes.flatMap(([, statuses]) => Object.entries(statuses));
    const requests = byStatus.reduce((sum, [, n]) => sum + n, 0);
    const answered429 = byStatus.filter(([status]) => status === '429').reduce((sum, [, n]) => sum + n, 0);
    const answered = byStatus
      .filter(([status]) => status !== '429' && status !== 'lost')
      .reduce((sum, [, n]) => sum + n, 0);
    const c = report.counts;
    const seconds = report.durationMs / 1000;
    return {
      durationMs: report.durationMs,
      recordsPerSec: (c.delivered + c.skipped + c.quarantined + c.failed) / seconds,
      postsPerSec: accepted / seconds,
      requestsPerSec: answered / seconds,
      requests,
      answered429,
      load: [before, loadavg()[0]!],
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** A run of the reader with `workers` workers on a fresh database, the destination reset first. */
async function clusterRun(
  server: PostgresTestServer,
  mocks: MockProcesses,
  workers: number,
  customers: number,
  name: string,
): Promise<ClusterRun> {
  await mocks.resetDestination();
  const url = await createDatabase(server, name);
  const env = ferryEnv(mocks, server, 200);
  const started: ChildProcess[] = [];
  try {
    for (let i = 0; i < workers; i++) started.push(await startWorker(url, env));
    const run = await runReader(SCALE_CONFIG, url, env, mocks);
    return { workers, customers, ...run };
  } finally {
    await Promise.all(started.map(stop));
  }
}

/**
 * `npm run bench -- scale`: a throwaway PostgreSQL cluster (Debian's binaries, fsync off) and the mocks in
 * processes of their own. (1) The destination answers each order after each of `latencies`; 1, 2 and 4
 * workers send 16 records at once each (destination.concurrency 64 for the cluster). (2) The destination allows
 * `limitPerSec` orders per second (429 past it, RateLimit headers on every answer); 4 workers. (3) One
 * process and no workers, on SQLite and on PostgreSQL, against a destination without latency.
 */
export async function scaleScenario(options: {
  /** Each latency with its number of customers (fewer where the destination is slower). */
  latencies: readonly { latencyMs: number; customers: number }[];
  rateCustomers: number;
  ledgerCustomers: number;
  limitPerSec: number;
  say: (text: string) => void;
}): Promise<ScaleResult> {
  const server = await createPostgres();
  try {
    const latency: LatencySeries[] = [];
    let baselineLatency: ScaleResult['baseline']['latency'] | undefined;
    let baselineRate: ClusterRun | undefined;
    for (const { latencyMs, customers } of options.latencies) {
      const slow = await startMockProcesses({ count: customers, destinationLatencyMs: latencyMs });
      try {
        const runs: ClusterRun[] = [];
        for (const workers of [1, 2, 4]) {
          options.say(`scale: ${workers} worker(s), destination answering after ${latencyMs} ms`);
          runs.push(
            await clusterRun(server, slow, workers, customers, `scale_latency_${latencyMs}_${workers}`),
          );
        }
        const one = runs[0]!.recordsPerSec;
        latency.push({
          latencyMs,
          runs: runs.map((run) => ({ ...run, overLinear: run.recordsPerSec / (run.workers * one) })),
        });
        if (!baselineLatency) {
          options.say('scale: one process on SQLite, the same destination, for reference');
          baselineLatency = { latencyMs, ...(await sqliteRun(slow, customers)) };
        }
      } finally {
        await slow.stop();
      }
    }

    options.say(`scale: 4 workers, destination allowing ${options.limitPerSec} requests/s`);
    const limited = await startMockProcesses({
      count: options.rateCustomers,
      destinationRps: options.limitPerSec,
    });
    let rate: ClusterRun;
    try {
      rate = await clusterRun(server, limited, 4, options.rateCustomers, 'scale_rate');
      options.say('scale: one process on SQLite, the same destination, for reference');
      baselineRate = await sqliteRun(limited, options.rateCustomers);
    } finally {
      await limited.stop();
    }

    options.say('scale: one process, no workers, SQLite and PostgreSQL');
    const fast = await startMockProcesses({ count: options.ledgerCustomers });
    let ledgers: ScaleResult['ledgers'];
    const dir = await mkdtemp(join(tmpdir(), 'ferry-bench-sqlite-'));
    try {
      const env = ferryEnv(fast, server, 1000);
      await fast.resetDestination();
      const sqlite = await runReader(FLAGSHIP, join(dir, 'state'), env, fast);
      await fast.resetDestination();
      const url = await createDatabase(server, 'scale_ledger');
      const postgres = await runReader(FLAGSHIP, url, env, fast);
      const base = { workers: 0, customers: options.ledgerCustomers };
      ledgers = { sqlite: { ...base, ...sqlite }, postgres: { ...base, ...postgres } };
    } finally {
      await fast.stop();
      await rm(dir, { recursive: true, force: true });
    }

    return {
      latency,
      rateLimit: {
        ...rate,
        limitPerSec: options.limitPerSec,
        achievedOverLimit: rate.requestsPerSec / options.limitPerSec,
        share429: rate.requests === 0 ? 0 : rate.answered429 / rate.requests,
      },
      ledgers,
      baseline: { latency: baselineLatency!, rateLimit: baselineRate! },
    };
  } finally {
    destroyPostgres(server);
  }
}

/** One process on SQLite in a fresh directory, the destination reset first. */
async function sqliteRun(mocks: MockProcesses, customers: number): Promise<ClusterRun> {
  await mocks.resetDestination();
  const dir = await mkdtemp(join(tmpdir(), 'ferry-bench-sqlite-'));
  try {
    const env = {
      ...process.env,
      ...launcherEnv,
      ...mocks.env,
      SOURCE_URL: `${mocks.env.SOURCE_URL}?per_page=200`,
    };
    return { workers: 0, customers, ...(await runReader(FLAGSHIP, join(dir, 'state'), env, mocks)) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
