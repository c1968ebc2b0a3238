import { availableParallelism } from 'node:os';
import { type CeilingResult, measureCeiling, prepareCeiling } from './ceiling.ts';
import { lookupFirstFlagship } from './lookup-first-flagship.ts';
import { medianBy } from './median.ts';
import { type MockProcesses, startMockProcesses } from './mock-processes.ts';
import {
  type BareClientResult,
  type PromiseFloorResult,
  runBareClient,
  runPromiseFloor,
} from './run-bare-client.ts';
import { runFerry } from './run-ferry.ts';
import { type NaiveResult, runNaive } from './run-naive.ts';

/** One figure for each process in a contender's run (null where it could not be read). */
export interface ByProcess {
  /** The contender's own process; for autocannon, the bench process while autocannon ran. */
  own: number | null;
  destination: number | null;
  source: number | null;
}

/** One run of ferry in scenario 1. */
export interface FerryThroughput {
  recordsPerSec: number;
  postsPerSec: number;
  durationMs: number;
  wallMs: number;
  delivered: number;
  cpuMs: number | null;
}

/** A contender's run with the CPU time, in ms, that it and each mock used meanwhile. */
type Metered<T> = T & { cpu: ByProcess };

/** Scenario 1's figures: for each contender, its median run of `rounds`, and every run in `all`. */
export interface ThroughputResult {
  customers: number;
  rounds: number;
  /**
   * ferry as shipped, on a fresh ledger: the flagship's destination refuses duplicates, so one POST per order
   * (the same as every later run makes for a new order).
   */
  ferry: Metered<FerryThroughput>;
  /**
   * The flagship without `refuses_duplicates`, on a fresh ledger: a first run at a destination that may store
   * a second copy looks each order up before sending it (a lookup and a POST per order).
   */
  ferryLookupFirst: Metered<FerryThroughput>;
  naive: Metered<NaiveResult>;
  ceiling: Metered<CeilingResult>;
  /** For reference: undici alone in a fresh process (bench/bare-client.ts), its median run. */
  bareClient: BareClientResult;
  /** For reference: the least a client keeping the promise does (bench/promise-floor.ts), its median run. */
  promiseFloor: PromiseFloorResult;
  all: {
    ferry: Metered<FerryThroughput>[];
    ferryLookupFirst: Metered<FerryThroughput>[];
    naive: Metered<NaiveResult>[];
    ceiling: Metered<CeilingResult>[];
    bareClient: BareClientResult[];
    promiseFloor: PromiseFloorResult[];
  };
  /** ferry's accepted POSTs/s over autocannon's POSTs/s (both send one request per distinct valid order). */
  ferryOverCeiling: number;
  /** ferry's records/s over the naive script's records/s (both settle every customer). */
  ferryOverNaive: number;
  /** undici alone in a fresh process over autocannon, on POSTs/s. */
  bareClientOverCeiling: number;
  /** ferry over undici alone in a fresh process, on POSTs/s. */
  ferryOverBareClient: number;
  /** CPU time of a one-record ferry run (median of three): start-up and shutdown, in ms; null without GNU time. */
  ferryFixedCpuMs: number | null;
  /**
   * Where each contender's median run spent CPU, per POST the destination accepted, in µs. ferry's own is its
   * run's less ferry's fixed cost (`ferryFixedCpuMs`), so that it does not depend on the number of customers.
   */
  cpuPerPost: {
    ferry: ByProcess;
    ferryLookupFirst: ByProcess;
    naive: ByProcess;
    ceiling: ByProcess;
    bareClient: number;
    promiseFloor: number;
  };
  /**
   * undici alone's CPU per POST over ferry's per record (fixed cost out): as shipped; lookup first; and over
   * the promise floor's per record, what the target asks of any client that keeps the promise.
   */
  cpuShareOfBareClient: { ferry: number | null; ferryLookupFirst: number | null; promiseFloor: number };
  /**
   * The most CPU per record ferry could use and still reach the target share of the ceiling on this machine,
   * in µs: every core busy for the whole run, less the destination mock's CPU per POST in autocannon's median
   * run and the source mock's per record in ferry's. Generous to ferry on both counts: no machine keeps every
   * core busy, and the destination costs more per POST at ferry's lower rate (the fewer requests arrive at
   * once, the more each costs it).
   * Null when the mocks' CPU could not be read.
   */
  cpuBudgetUs: number | null;
  cores: number;
}

/** Concurrency of the flagship (destination.concurrency), used for the ceiling too. */
export const CONCURRENCY = 16;

/** Runs one contender and adds the CPU time it and the two mocks used meanwhile. */
async function metered<T extends { cpuMs: number | null }>(
  mocks: MockProcesses,
  run: () => Promise<T>,
): Promise<Metered<T>> {
  const before = await mocks.cpuMs();
  const result = await run();
  const after = await mocks.cpuMs();
  const delta = (a: number | null, b: number | null) => (a === null || b === null ? null : b - a);
  return {
    ...result,
    cpu: {
      own: result.cpuMs,
      destination: delta(before.destination, after.destination),
      source: delta(before.source, after.source),
    },
  };
}

/** CPU time per accepted POST, in µs. */
function perPost(cpu: ByProcess, posts: number): ByProcess {
  const us = (ms: number | null) => (ms === null || posts === 0 ? null : (ms * 1000) / posts);
  return { own: us(cpu.own), destination: us(cpu.destination), source: us(cpu.source) };
}

/**
 * Scenario 1: N customers, no faults, no latency. ferry, the naive script, autocannon and, for reference,
 * undici alone in a fresh process each meet a freshly reset destination in the same mock process, in turn
 * for `rounds` rounds; each is judged by its median run, since on two shared cores one round's ratio can land
 * 20% off the others'. The mocks are warmed first by one untimed autocannon pass: they are fresh processes,
 * and whichever ran first paid for their JIT warm-up (ferry's fourth run against the same mocks was 6% and 14%
 * faster than its first, in two tries). Every run also reads the CPU time of each process, to show what the
 * ceiling would ask of ferry on this machine.
 */
export async function throughputScenario(
  customers: number,
  rounds: number,
  targetShare: number,
): Promise<ThroughputResult> {
  const mocks = await startMockProcesses({ count: customers });
  const all: ThroughputResult['all'] = {
    ferry: [],
    ferryLookupFirst: [],
    naive: [],
    ceiling: [],
    bareClient: [],
    promiseFloor: [],
  };
  const oneRecordCpu: (number | null)[] = [];
  const lookupFirst = await lookupFirstFlagship();
  try {
    const requests = await prepareCeiling(mocks.env);
    await measureCeiling(requests, CONCURRENCY);
    await mocks.resetDestination();
    for (let i = 0; i < 3; i++) {
      oneRecordCpu.push((await runFerry({ env: mocks.env, perPage: 1000, limit: 1 })).cpuMs);
      await mocks.resetDestination();
    }
    const ferryRun = (config?: string) =>
      metered(mocks, async () => {
        const run = await runFerry({ env: mocks.env, perPage: 1000, ...(config ? { config } : {}) });
        return {
          recordsPerSec: run.recordsPerSec,
          postsPerSec: run.postsPerSec,
          durationMs: run.report.durationMs,
          wallMs: run.wallMs,
          delivered: run.report.counts.delivered,
          cpuMs: run.cpuMs,
        };
      });
    for (let round = 0; round < rounds; round++) {
      all.ferry.push(await ferryRun());
      await mocks.resetDestination();
      all.ferryLookupFirst.push(await ferryRun(lookupFirst));
      await mocks.resetDestination();
      all.naive.push(await metered(mocks, () => runNaive({ ...process.env, ...mocks.env })));
      await mocks.resetDestination();
      all.ceiling.push(await metered(mocks, () => measureCeiling(requests, CONCURRENCY)));
      await mocks.resetDestination();
      all.bareClient.push(await runBareClient(requests, CONCURRENCY));
      await mocks.resetDestination();
      all.promiseFloor.push(await runPromiseFloor(mocks.env, requests.token, CONCURRENCY, 1000));
      await mocks.resetDestination();
    }
  } finally {
    await mocks.stop();
  }
  const ferry = medianBy(all.ferry, (run) => run.postsPerSec);
  const ferryLookupFirst = medianBy(all.ferryLookupFirst, (run) => run.postsPerSec);
  const naive = medianBy(all.naive, (run) => run.recordsPerSec);
  const ceiling = medianBy(all.ceiling, (run) => run.postsPerSec);
  const bareClient = medianBy(all.bareClient, (run) => run.postsPerSec);
  const promiseFloor = medianBy(all.promiseFloor, (run) => run.cpuMs / run.delivered);
  const ferryFixedCpuMs = oneRecordCpu.includes(null) ? null : medianBy(oneRecordCpu as number[], (ms) => ms);
  const ferryOwn =
    ferry.cpu.own === null || ferryFixedCpuMs === null ? null : ferry.cpu.own - ferryFixedCpuMs;
  const lookupFirstOwn =
    ferryLookupFirst.cpu.own === null || ferryFixedCpuMs === null
      ? null
      : ferryLookupFirst.cpu.own - ferryFixedCpuMs;
  const cpuPerPost = {
    ferry: perPost({ ...ferry.cpu, own: ferryOwn }, ferry.delivered),
    ferryLookupFirst: perPost({ ...ferryLookupFirst.cpu, own: lookupFirstOwn }, ferryLookupFirst.delivered),
    naive: perPost(naive.cpu, naive.delivered),
    ceiling: perPost(ceiling.cpu, ceiling.requests),
    bareClient: (bareClient.cpuMs * 1000) / bareClient.created,
    promiseFloor: (promiseFloor.cpuMs * 1000) / promiseFloor.delivered,
  };
  const cores = availableParallelism();
  const destination = cpuPerPost.ceiling.destination;
  const source = cpuPerPost.ferry.source;
  return {
    customers,
    rounds,
    ferry,
    ferryLookupFirst,
    naive,
    ceiling,
    bareClient,
    promiseFloor,
    all,
    cpuShareOfBareClient: {
      ferry: cpuPerPost.ferry.own === null ? null : cpuPerPost.bareClient / cpuPerPost.ferry.own,
      ferryLookupFirst:
        cpuPerPost.ferryLookupFirst.own === null
          ? null
          : cpuPerPost.bareClient / cpuPerPost.ferryLookupFirst.own,
      promiseFloor: cpuPerPost.bareClient / cpuPerPost.promiseFloor,
    },
    ferryOverCeiling: ferry.postsPerSec / ceiling.postsPerSec,
    ferryOverNaive: ferry.recordsPerSec / naive.recordsPerSec,
    bareClientOverCeiling: bareClient.postsPerSec / ceiling.postsPerSec,
    ferryOverBareClient: ferry.postsPerSec / bareClient.postsPerSec,
    ferryFixedCpuMs,
    cpuPerPost,
    cpuBudgetUs:
      destination === null || source === null
        ? null
        : (cores * 1e6) / (targetShare * ceiling.postsPerSec) - destination - source,
    cores,
  };
}
