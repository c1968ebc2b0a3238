import { expectedCustomers } from '../src/mocks/index.ts';
import { type CeilingRequests, prepareCeiling } from './ceiling.ts';
import { medianBy } from './median.ts';
import { type MockProcesses, startMockProcesses } from './mock-processes.ts';
import { ensureNodeRed, NODE_RED_VERSION, type NodeRedRun, runNodeRed } from './node-red-peer.ts';
import { runBareClient } from './run-bare-client.ts';
import { runFerry } from './run-ferry.ts';
import { runNaive } from './run-naive.ts';

/** One job all contenders run: the flagship's customers → orders against one destination. */
export interface PeerJob {
  readonly label: string;
  readonly customers: number;
  /** The destination's latency per POST. */
  readonly latencyMs: number;
  /** Orders requests the destination serves at once (none: unlimited). */
  readonly capacity?: number;
  /** Run the naive script too. */
  readonly naive: boolean;
}

/** One contender's run, timed by the mocks' clocks from its launch. */
export interface ContenderRun {
  /** From spawn to the destination's last 201, ms. */
  launchToLastOrderMs: number;
  /** From spawn to the source's first request, ms. */
  launchToFirstRequestMs: number | null;
  /** Records (customers) per second of launch to last order. */
  recordsPerSec: number;
  peakRssMb: number | null;
}

/** ferry's run, with what its report and the destination said about its concurrency. */
export interface FerryPeerRun extends ContenderRun {
  /** Accepted POSTs per second of the run (the report's duration: run start to end). */
  postsPerSec: number;
  /** The limit's time-weighted mean over the second half of the run, and its last value. */
  limitMean: number | null;
  limitFinal: number | null;
  /** Order requests in flight at the destination, mean over the second half of the run (with a capacity). */
  destinationInFlight: number | null;
  /** Share of the destination's answers that were 503 (over capacity). */
  share503: number;
  requests: number;
}

/**
 * The ideal client's run (bench/bare-client.ts): undici alone, the order bodies built before its launch, and
 * the capacity's worth of requests in flight from its first POST. No source to read, no token to fetch, no
 * mapping, no ledger and no limit to find: a bound on what any client can do against the job's destination.
 */
export interface IdealClientRun {
  /** From spawn to the destination's last 201, ms. */
  launchToLastOrderMs: number;
  /** Accepted POSTs per second, from its first request to its last answer. */
  postsPerSec: number;
}

/** A job's results: each contender's median run (by launch to last order) and all runs. */
export interface PeerJobResult {
  job: PeerJob;
  rounds: number;
  expectedOrders: number;
  /** What the destination's capacity allows, POSTs per second (capacity / latency), when it has one. */
  capacityPerSec: number | null;
  ferry: FerryPeerRun;
  ferryRuns: FerryPeerRun[];
  nodeRed: (ContenderRun & { cpuMs: number | null }) | null;
  nodeRedRuns: ContenderRun[];
  /** Why Node-RED did not run, when it did not. */
  nodeRedSkipped?: string;
  naive: ContenderRun | null;
  /** With a capacity: the ideal client's median run, a bound on every contender's. */
  idealClient: IdealClientRun | null;
  idealClientRuns: IdealClientRun[];
}

/** Everything scenario 6 measured. */
export interface PeersResult {
  nodeRedVersion: string;
  jobs: PeerJobResult[];
}

const ORDERS_201 = 'POST /api/v2/orders 201';

/** Samples the destination's in-flight integral while a run goes, to give its mean over a span. */
function sampleInFlight(mocks: MockProcesses) {
  const samples: { at: number; inFlightMs: number }[] = [];
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const stats = await mocks.destinationStats().catch(() => undefined);
      if (stats) samples.push({ at: Date.now(), inFlightMs: stats.inFlightMs });
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
    },
    /** Mean requests in flight between two moments (ms since the epoch), from the nearest samples. */
    meanBetween(from: number, to: number): number | null {
      const inside = samples.filter((s) => s.at >= from && s.at <= to);
      if (inside.length < 2) return null;
      const first = inside[0]!;
      const last = inside.at(-1)!;
      return last.at > first.at ? (last.inFlightMs - first.inFlightMs) / (last.at - first.at) : null;
    },
  };
}

/** Time-weighted mean of a limit timeline ([ms since run start, limit]) between two offsets. */
function timelineMean(
  timeline: readonly (readonly [number, number])[],
  from: number,
  to: number,
): number | null {
  if (timeline.length === 0 || to <= from) return null;
  let sum = 0;
  for (const [i, [at, limit]] of timeline.entries()) {
    const start = Math.max(from, at);
    const end = Math.min(to, timeline[i + 1]?.[0] ?? to);
    if (end > start) sum += limit * (end - start);
  }
  return sum / (to - from);
}

async function ferryRun(mocks: MockProcesses, job: PeerJob, expected: number): Promise<FerryPeerRun> {
  let launchedAt = 0;
  const sampler = sampleInFlight(mocks);
  const run = await runFerry({
    env: mocks.env,
    perPage: 100,
    onLaunch: (at) => {
      launchedAt = at;
    },
  }).finally(() => sampler.stop());
  const [destination, source] = await Promise.all([mocks.destinationStats(), mocks.sourceStats()]);
  const lastOrderAt = destination.times.lastAnswered[ORDERS_201] ?? Date.now();
  const report = run.report as typeof run.report & {
    concurrency?: { timeline: [number, number][]; final: number };
    startedAt: string;
  };
  const runStart = Date.parse(report.startedAt);
  const half = report.durationMs / 2;
  const posts = destination.requests['POST /api/v2/orders'] ?? {};
  const requests = Object.values(destination.requests)
    .flatMap((statuses) => Object.values(statuses))
    .reduce((a, b) => a + b, 0);
  const answered503 = Object.values(destination.requests).reduce(
    (sum, statuses) => sum + (statuses['503'] ?? 0),
    0,
  );
  if (destination.ordersStored < expected)
    throw new Error(`ferry stored ${destination.ordersStored} of ${expected} orders (exit ${run.exitCode})`);
  const launchToLastOrderMs = lastOrderAt - launchedAt;
  return {
    launchToLastOrderMs,
    launchToFirstRequestMs:
      source.times.firstArrivalAt === null ? null : source.times.firstArrivalAt - launchedAt,
    recordsPerSec: job.customers / (launchToLastOrderMs / 1000),
    peakRssMb: run.peakRssMb,
    postsPerSec: (posts['201'] ?? 0) / (report.durationMs / 1000),
    limitMean: report.concurrency ? timelineMean(report.concurrency.timeline, half, report.durationMs) : null,
    limitFinal: report.concurrency?.final ?? null,
    destinationInFlight:
      job.capacity === undefined ? null : sampler.meanBetween(runStart + half, runStart + report.durationMs),
    share503: requests === 0 ? 0 : answered503 / requests,
    requests,
  };
}

async function idealClientRun(
  mocks: MockProcesses,
  requests: CeilingRequests,
  connections: number,
): Promise<IdealClientRun> {
  const launchedAt = Date.now();
  const run = await runBareClient(requests, connections);
  const lastOrderAt = (await mocks.destinationStats()).times.lastAnswered[ORDERS_201];
  if (run.created < requests.bodies.length || lastOrderAt === undefined)
    throw new Error(`the ideal client stored ${run.created} of ${requests.bodies.length} orders`);
  return { launchToLastOrderMs: lastOrderAt - launchedAt, postsPerSec: run.postsPerSec };
}

async function resetMocks(mocks: MockProcesses): Promise<void> {
  await Promise.all([mocks.resetDestination(), mocks.resetSource()]);
}

/**
 * Scenario 6: the peers. Each job's mocks run in their own processes; ferry (the flagship as shipped, fresh
 * ledger: one POST per order, its destination refusing duplicates), Node-RED (bench/node-red-peer.ts) and, for the job without latency, the naive
 * script run in turn against the reset mocks for `rounds` rounds, pages of 100, each judged by its median
 * run. Every figure is timed from the contender's launch by the mocks' own clocks (their first request
 * arrived, their last order stored).
 */
export async function peersScenario(
  jobs: readonly PeerJob[],
  rounds: number,
  log: (text: string) => void,
): Promise<PeersResult> {
  const nodeRedSkipped = await ensureNodeRed(log);
  if (nodeRedSkipped) log(`Node-RED not measured: ${nodeRedSkipped}`);
  const results: PeerJobResult[] = [];
  for (const job of jobs) {
    log(`6/7 peers: ${job.label}`);
    const mocks = await startMockProcesses({
      count: job.customers,
      ...(job.latencyMs > 0 ? { destinationLatencyMs: job.latencyMs } : {}),
      ...(job.capacity === undefined ? {} : { destinationCapacity: job.capacity }),
    });
    const expected = expectedCustomers(42, job.customers).distinctValidIds.length;
    const env = { ...mocks.env, SOURCE_URL: `${mocks.env.SOURCE_URL}?per_page=100` };
    const ferryRuns: FerryPeerRun[] = [];
    const nodeRedRuns: (ContenderRun & { cpuMs: number | null })[] = [];
    const naiveRuns: ContenderRun[] = [];
    const idealRuns: IdealClientRun[] = [];
    try {
      const ideal = job.capacity === undefined ? undefined : await prepareCeiling(mocks.env);
      if (ideal && ideal.bodies.length !== expected)
        throw new Error(`the ideal client would send ${ideal.bodies.length} orders, not ${expected}`);
      for (let round = 0; round < rounds; round++) {
        await resetMocks(mocks);
        ferryRuns.push(await ferryRun(mocks, job, expected));
        await resetMocks(mocks);
        if (!nodeRedSkipped) {
          const run: NodeRedRun = await runNodeRed(
            env,
            {
              ordersStored: async () => (await mocks.destinationStats()).ordersStored,
              lastOrderAt: async () =>
                (await mocks.destinationStats()).times.lastAnswered[ORDERS_201] ?? null,
              firstSourceRequestAt: async () => (await mocks.sourceStats()).times.firstArrivalAt,
            },
            expected,
            300_000,
          );
          nodeRedRuns.push({
            launchToLastOrderMs: run.launchToLastOrderMs,
            launchToFirstRequestMs: run.launchToFirstRequestMs,
            recordsPerSec: job.customers / (run.launchToLastOrderMs / 1000),
            peakRssMb: run.peakRssMb,
            cpuMs: run.cpuMs,
          });
          await resetMocks(mocks);
        }
        if (job.naive) {
          const launchedAt = Date.now();
          await runNaive({ ...process.env, ...env, SOURCE_URL: mocks.env.SOURCE_URL });
          const [destination, source] = await Promise.all([mocks.destinationStats(), mocks.sourceStats()]);
          const last = destination.times.lastAnswered[ORDERS_201] ?? Date.now();
          naiveRuns.push({
            launchToLastOrderMs: last - launchedAt,
            launchToFirstRequestMs:
              source.times.firstArrivalAt === null ? null : source.times.firstArrivalAt - launchedAt,
            recordsPerSec: job.customers / ((last - launchedAt) / 1000),
            peakRssMb: null,
          });
        }
        if (ideal && job.capacity !== undefined) {
          await resetMocks(mocks);
          idealRuns.push(await idealClientRun(mocks, ideal, job.capacity));
        }
      }
    } finally {
      await mocks.stop();
    }
    const byTime = (run: ContenderRun) => run.launchToLastOrderMs;
    results.push({
      job,
      rounds,
      expectedOrders: expected,
      capacityPerSec: job.capacity === undefined ? null : job.capacity / (job.latencyMs / 1000),
      ferry: medianBy(ferryRuns, byTime),
      ferryRuns,
      nodeRed: nodeRedRuns.length > 0 ? medianBy(nodeRedRuns, byTime) : null,
      nodeRedRuns,
      ...(nodeRedSkipped ? { nodeRedSkipped } : {}),
      naive: naiveRuns.length > 0 ? medianBy(naiveRuns, byTime) : null,
      idealClient: idealRuns.length > 0 ? medianBy(idealRuns, (run) => run.launchToLastOrderMs) : null,
      idealClientRuns: idealRuns,
    });
  }
  return { nodeRedVersion: NODE_RED_VERSION, jobs: results };
}
