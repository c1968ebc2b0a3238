import { type CeilingResult, measureCeiling, prepareCeiling } from './ceiling.ts';
import { medianBy } from './median.ts';
import { startMockProcesses } from './mock-processes.ts';
import { type FerryRun, runFerry } from './run-ferry.ts';
import { type NaiveResult, runNaive } from './run-naive.ts';
import { CONCURRENCY } from './scenario-throughput.ts';

/** Scenario 2's figures: ferry's and autocannon's median runs of `rounds`, each run's in the `*Rounds` lists. */
export interface LatencyResult {
  customers: number;
  latencyMs: number;
  rounds: number;
  /** concurrency / latency: the most POSTs per second any client with that concurrency can get. */
  boundPerSec: number;
  ferryPostsPerSec: number;
  ferryRecordsPerSec: number;
  /** ferry's accepted POSTs/s over the bound. */
  ferryOverBound: number;
  /** ferry's POSTs/s over the bound, round by round. */
  ferryOverBoundRounds: number[];
  /**
   * autocannon's POSTs/s against the same slow destination with the same concurrency: what the mock's timers
   * (which overshoot the latency) and its own work let any client reach.
   */
  ceilingPostsPerSec: number;
  ceilingOverBound: number;
  ferryOverCeiling: number;
  /** The naive script over its first `naive.records` customers, against the same slow destination. */
  naive: NaiveResult;
  ferryOverNaive: number;
}

/**
 * Scenario 2: the destination answers every POST /api/v2/orders after `latencyMs` (the mock's latency fault,
 * which applies to every request of the faulted routes; token and source stay fast). ferry and autocannon run
 * in turn against the reset destination for `rounds` rounds, each judged by its median run: a single run of
 * ten seconds moved by 4% between benches on a busy machine.
 */
export async function latencyScenario(
  customers: number,
  latencyMs: number,
  naiveLimit: number,
  rounds: number,
): Promise<LatencyResult> {
  const mocks = await startMockProcesses({ count: customers, destinationLatencyMs: latencyMs });
  try {
    const requests = await prepareCeiling(mocks.env);
    const ferryRuns: FerryRun[] = [];
    const ceilingRuns: CeilingResult[] = [];
    for (let round = 0; round < rounds; round++) {
      ferryRuns.push(await runFerry({ env: mocks.env, perPage: 1000 }));
      await mocks.resetDestination();
      ceilingRuns.push(await measureCeiling(requests, CONCURRENCY));
      await mocks.resetDestination();
    }
    const ferry = medianBy(ferryRuns, (run) => run.postsPerSec);
    const ceiling = medianBy(ceilingRuns, (run) => run.postsPerSec);
    const naive = await runNaive({ ...process.env, ...mocks.env }, naiveLimit);
    const boundPerSec = CONCURRENCY / (latencyMs / 1000);
    return {
      customers,
      latencyMs,
      rounds,
      boundPerSec,
      ferryPostsPerSec: ferry.postsPerSec,
      ferryRecordsPerSec: ferry.recordsPerSec,
      ferryOverBound: ferry.postsPerSec / boundPerSec,
      ferryOverBoundRounds: ferryRuns.map((run) => run.postsPerSec / boundPerSec),
      ceilingPostsPerSec: ceiling.postsPerSec,
      ceilingOverBound: ceiling.postsPerSec / boundPerSec,
      ferryOverCeiling: ferry.postsPerSec / ceiling.postsPerSec,
      naive,
      ferryOverNaive: ferry.recordsPerSec / naive.recordsPerSec,
    };
  } finally {
    await mocks.stop();
  }
}
