import { startMockProcesses } from './mock-processes.ts';
import { runFerry } from './run-ferry.ts';

/** One streamed run's memory figures. */
export interface MemoryRun {
  /** Customers in the source. */
  customers: number;
  /** Customers ferry read (less than `customers` when the run was cut with --limit). */
  read: number;
  limited: boolean;
  peakRssMb: number;
  /** RSS at the end of the first and last fifth of the run, to tell a plateau from growth. */
  rssEarlyMb: number;
  rssLateMb: number;
  durationMs: number;
  recordsPerSec: number;
}

/** Scenario 4's figures. */
export interface MemoryResult {
  small: MemoryRun;
  large: MemoryRun;
  /** large.peakRssMb / small.peakRssMb. */
  ratio: number;
}

function at(timeline: { ms: number; rssMb: number }[], share: number): number {
  if (timeline.length === 0) return 0;
  return timeline[Math.min(timeline.length - 1, Math.floor(timeline.length * share))]!.rssMb;
}

async function streamed(customers: number, limit: number | undefined): Promise<MemoryRun> {
  const mocks = await startMockProcesses({ count: customers });
  try {
    const run = await runFerry({
      env: mocks.env,
      perPage: 1000,
      ...(limit === undefined ? {} : { limit }),
    });
    const timeline = run.rssTimeline;
    return {
      customers,
      read: run.report.counts.read,
      limited: limit !== undefined && limit < customers,
      peakRssMb: run.peakRssMb ?? Number.NaN,
      rssEarlyMb: at(timeline, 0.2),
      rssLateMb: at(timeline, 0.8),
      durationMs: run.report.durationMs,
      recordsPerSec: run.recordsPerSec,
    };
  } finally {
    await mocks.stop();
  }
}

/**
 * Scenario 4: `small` and `large` customers streamed (per_page 1000). `largeLimit` (given the small run) may
 * cut the large run with --limit so the whole benchmark stays inside its time budget; the result says so.
 */
export async function memoryScenario(
  small: number,
  large: number,
  largeLimit: (smallRun: MemoryRun) => number | undefined = () => undefined,
): Promise<MemoryResult> {
  const smallRun = await streamed(small, undefined);
  const largeRun = await streamed(large, largeLimit(smallRun));
  return { small: smallRun, large: largeRun, ratio: largeRun.peakRssMb / smallRun.peakRssMb };
}
