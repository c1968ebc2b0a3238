import { measureCeiling, prepareCeiling } from './ceiling.ts';
import { startMockProcesses } from './mock-processes.ts';
import { runFerry } from './run-ferry.ts';
import { type NaiveResult, runNaive } from './run-naive.ts';
import { CONCURRENCY } from './scenario-throughput.ts';

/** Scenario 2's figures. */
export interface LatencyResult {
  customers: number;
  latencyMs: number;
  /** concurrency / latency: the most POSTs per second any client with that concurrency can get. */
  boundPerSec: number;
  ferryPostsPerSec: number;
  ferryRecordsPerSec: number;
  /** ferry's accepted POSTs/s over the bound. */
  ferryOverBound: number;
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
 * which applies to every request of the faulted routes; token and source stay fast).
 */
export async function latencyScenario(customers: number, latencyMs: number, naiveLimit: number) {
  const mocks = await startMockProcesses({ count: customers, destinationLatencyMs: latencyMs });
  try {
    const ferry = await runFerry({ env: mocks.env, perPage: 1000 });
    await mocks.resetDestination();
    const ceiling = await measureCeiling(await prepareCeiling(mocks.env), CONCURRENCY);
    await mocks.resetDestination();
    const naive = await runNaive({ ...process.env, ...mocks.env }, naiveLimit);
    const boundPerSec = CONCURRENCY / (latencyMs / 1000);
    const result: LatencyResult = {
      customers,
      latencyMs,
      boundPerSec,
      ferryPostsPerSec: ferry.postsPerSec,
      ferryRecordsPerSec: ferry.recordsPerSec,
      ferryOverBound: ferry.postsPerSec / boundPerSec,
      ceilingPostsPerSec: ceiling.postsPerSec,
      ceilingOverBound: ceiling.postsPerSec / boundPerSec,
      ferryOverCeiling: ferry.postsPerSec / ceiling.postsPerSec,
      naive,
      ferryOverNaive: ferry.recordsPerSec / naive.recordsPerSec,
    };
    return result;
  } finally {
    await mocks.stop();
  }
}
