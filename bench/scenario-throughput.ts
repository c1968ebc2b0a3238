import { type CeilingResult, measureCeiling } from './ceiling.ts';
import { startMockProcesses } from './mock-processes.ts';
import { runFerry } from './run-ferry.ts';
import { type NaiveResult, runNaive } from './run-naive.ts';

/** Scenario 1's figures. */
export interface ThroughputResult {
  customers: number;
  ferry: {
    recordsPerSec: number;
    postsPerSec: number;
    durationMs: number;
    wallMs: number;
    delivered: number;
  };
  naive: NaiveResult;
  ceiling: CeilingResult;
  /** ferry's accepted POSTs/s over autocannon's POSTs/s (both send one request per distinct valid order). */
  ferryOverCeiling: number;
  /** ferry's records/s over the naive script's records/s (both settle every customer). */
  ferryOverNaive: number;
}

/** Concurrency of the flagship (destination.concurrency), used for the ceiling too. */
export const CONCURRENCY = 16;

/**
 * Scenario 1: N customers, no faults, no latency. ferry, the naive script and autocannon each meet a freshly
 * reset destination in the same mock process, warmed first by one untimed autocannon pass: the mocks are
 * fresh processes, and whichever ran first paid for their JIT warm-up (ferry's POSTs/s rose 3 to 10% from
 * its first run to its later ones against the same mocks), which would tilt the ratios by run order.
 */
export async function throughputScenario(customers: number): Promise<ThroughputResult> {
  const mocks = await startMockProcesses({ count: customers });
  try {
    await measureCeiling(mocks.env, CONCURRENCY);
    await mocks.resetDestination();
    const ferry = await runFerry({ env: mocks.env, perPage: 1000 });
    await mocks.resetDestination();
    const naive = await runNaive({ ...process.env, ...mocks.env });
    await mocks.resetDestination();
    const ceiling = await measureCeiling(mocks.env, CONCURRENCY);
    return {
      customers,
      ferry: {
        recordsPerSec: ferry.recordsPerSec,
        postsPerSec: ferry.postsPerSec,
        durationMs: ferry.report.durationMs,
        wallMs: ferry.wallMs,
        delivered: ferry.report.counts.delivered,
      },
      naive,
      ceiling,
      ferryOverCeiling: ferry.postsPerSec / ceiling.postsPerSec,
      ferryOverNaive: ferry.recordsPerSec / naive.recordsPerSec,
    };
  } finally {
    await mocks.stop();
  }
}
