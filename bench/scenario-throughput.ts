import { type CeilingResult, measureCeiling } from './ceiling.ts';
import { medianBy } from './median.ts';
import { startMockProcesses } from './mock-processes.ts';
import { runFerry } from './run-ferry.ts';
import { type NaiveResult, runNaive } from './run-naive.ts';

/** One run of ferry in scenario 1. */
export interface FerryThroughput {
  recordsPerSec: number;
  postsPerSec: number;
  durationMs: number;
  wallMs: number;
  delivered: number;
}

/** Scenario 1's figures: for each contender, its median run of `rounds`, and every run in `all`. */
export interface ThroughputResult {
  customers: number;
  rounds: number;
  ferry: FerryThroughput;
  naive: NaiveResult;
  ceiling: CeilingResult;
  all: { ferry: FerryThroughput[]; naive: NaiveResult[]; ceiling: CeilingResult[] };
  /** ferry's accepted POSTs/s over autocannon's POSTs/s (both send one request per distinct valid order). */
  ferryOverCeiling: number;
  /** ferry's records/s over the naive script's records/s (both settle every customer). */
  ferryOverNaive: number;
}

/** Concurrency of the flagship (destination.concurrency), used for the ceiling too. */
export const CONCURRENCY = 16;

/**
 * Scenario 1: N customers, no faults, no latency. ferry, the naive script and autocannon each meet a freshly
 * reset destination in the same mock process, in turn for `rounds` rounds; each is judged by its median run,
 * since on two shared cores one round's ratio can land 20% off the others'. The mocks are warmed first by one
 * untimed autocannon pass: they are fresh processes, and whichever ran first paid for their JIT warm-up
 * (ferry's fourth run against the same mocks was 6% and 14% faster than its first, in two tries).
 */
export async function throughputScenario(customers: number, rounds: number): Promise<ThroughputResult> {
  const mocks = await startMockProcesses({ count: customers });
  const all: ThroughputResult['all'] = { ferry: [], naive: [], ceiling: [] };
  try {
    await measureCeiling(mocks.env, CONCURRENCY);
    await mocks.resetDestination();
    for (let round = 0; round < rounds; round++) {
      const ferry = await runFerry({ env: mocks.env, perPage: 1000 });
      all.ferry.push({
        recordsPerSec: ferry.recordsPerSec,
        postsPerSec: ferry.postsPerSec,
        durationMs: ferry.report.durationMs,
        wallMs: ferry.wallMs,
        delivered: ferry.report.counts.delivered,
      });
      await mocks.resetDestination();
      all.naive.push(await runNaive({ ...process.env, ...mocks.env }));
      await mocks.resetDestination();
      all.ceiling.push(await measureCeiling(mocks.env, CONCURRENCY));
      await mocks.resetDestination();
    }
  } finally {
    await mocks.stop();
  }
  const ferry = medianBy(all.ferry, (run) => run.postsPerSec);
  const naive = medianBy(all.naive, (run) => run.recordsPerSec);
  const ceiling = medianBy(all.ceiling, (run) => run.postsPerSec);
  return {
    customers,
    rounds,
    ferry,
    naive,
    ceiling,
    all,
    ferryOverCeiling: ferry.postsPerSec / ceiling.postsPerSec,
    ferryOverNaive: ferry.recordsPerSec / naive.recordsPerSec,
  };
}
