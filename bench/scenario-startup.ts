import { join } from 'node:path';
import { measureProcess } from './measure-process.ts';
import { medianBy } from './median.ts';
import { ROOT, startMockProcesses } from './mock-processes.ts';
import { launcherNodeFlags, runFerry } from './run-ferry.ts';

/** Scenario 5's figures. */
export interface StartupResult {
  /** Median wall time of `ferry --help`, ms. */
  helpMs: number;
  helpRunsMs: number[];
  /** Median wall time of `node -e 0`: the floor no CLI on this Node gets under. */
  nodeFloorMs: number;
  /** Wall time of a one-record run (--limit 1) against the mocks, ms. */
  oneRecordMs: number;
}

async function timesMs(args: string[], runs: number): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const run = await measureProcess(process.execPath, args);
    if (run.code !== 0) throw new Error(`${args.join(' ')} exited ${String(run.code)}: ${run.stderrTail}`);
    times.push(run.wallMs);
  }
  return times;
}

/** Scenario 5: `ferry --help` (median of `runs`, after one warm-up for the file cache) and a one-record run. */
export async function startupScenario(runs: number): Promise<StartupResult> {
  const help = [...launcherNodeFlags, join(ROOT, 'bin/ferry.js'), '--help'];
  await timesMs(help, 1);
  const helpRunsMs = await timesMs(help, runs);
  const nodeFloorMs = medianBy(await timesMs(['-e', '0'], runs), (ms) => ms);
  const mocks = await startMockProcesses({ count: 1000 });
  try {
    const one = await runFerry({ env: mocks.env, limit: 1 });
    return { helpMs: medianBy(helpRunsMs, (ms) => ms), helpRunsMs, nodeFloorMs, oneRecordMs: one.wallMs };
  } finally {
    await mocks.stop();
  }
}
