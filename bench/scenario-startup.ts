import { join } from 'node:path';
import { measureProcess } from './measure-process.ts';
import { medianBy } from './median.ts';
import { ROOT, startMockProcesses } from './mock-processes.ts';
import { launcherEnv, launcherNodeFlags, runFerry } from './run-ferry.ts';

/** Scenario 5's figures. */
export interface StartupResult {
  /** Median wall time of `ferry --help`, ms. */
  helpMs: number;
  helpRunsMs: number[];
  /** Median wall time of `ferry validate` on the flagship, ms. */
  validateMs: number;
  /** Median wall time of `node -e 0`: the floor no CLI on this Node gets under. */
  nodeFloorMs: number;
  /** Wall time of a one-record run (--limit 1) against the mocks, ms (median). */
  oneRecordMs: number;
  /** From spawning a run to the source's first request (median of the one-record runs), ms. */
  firstRequestMs: number;
  firstRequestRunsMs: number[];
  /** The same with Node's compile cache off (NODE_DISABLE_COMPILE_CACHE=1), ms (median). */
  firstRequestUncachedMs: number;
}

async function timesMs(args: string[], runs: number, env?: NodeJS.ProcessEnv): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const run = await measureProcess(process.execPath, args, env ? { env } : {});
    if (run.code !== 0) throw new Error(`${args.join(' ')} exited ${String(run.code)}: ${run.stderrTail}`);
    times.push(run.wallMs);
  }
  return times;
}

const median = (values: number[]) => medianBy(values, (v) => v);

/**
 * Scenario 5: `ferry --help` and `ferry validate` (medians of `runs`, after one warm-up for the file and
 * compile caches), and one-record runs timed from launch to the source's first request, with Node's
 * compile cache and without it.
 */
export async function startupScenario(runs: number): Promise<StartupResult> {
  const env = { ...process.env, ...launcherEnv };
  const help = [...launcherNodeFlags, join(ROOT, 'bin/ferry.js'), '--help'];
  await timesMs(help, 1, env);
  const helpRunsMs = await timesMs(help, runs, env);
  const validate = [
    ...launcherNodeFlags,
    join(ROOT, 'bin/ferry.js'),
    'validate',
    join(ROOT, 'examples/customers-to-orders.yaml'),
    '--allow-missing-env',
  ];
  await timesMs(validate, 1, env);
  const validateMs = median(await timesMs(validate, runs, env));
  const nodeFloorMs = median(await timesMs(['-e', '0'], runs));
  const mocks = await startMockProcesses({ count: 1000 });
  try {
    const oneRecord = async (uncached: boolean) => {
      let launchedAt = 0;
      await mocks.resetSource();
      const run = await runFerry({
        env: mocks.env,
        limit: 1,
        perPage: 100,
        ...(uncached ? { extraEnv: { NODE_DISABLE_COMPILE_CACHE: '1' } } : {}),
        onLaunch: (at) => {
          launchedAt = at;
        },
      });
      const first = (await mocks.sourceStats()).times.firstArrivalAt ?? Number.NaN;
      return { wallMs: run.wallMs, firstRequestMs: first - launchedAt };
    };
    await oneRecord(false);
    const cached = [];
    const uncached = [];
    for (let i = 0; i < runs; i++) {
      cached.push(await oneRecord(false));
      uncached.push(await oneRecord(true));
    }
    return {
      helpMs: median(helpRunsMs),
      helpRunsMs,
      validateMs,
      nodeFloorMs,
      oneRecordMs: median(cached.map((r) => r.wallMs)),
      firstRequestMs: median(cached.map((r) => r.firstRequestMs)),
      firstRequestRunsMs: cached.map((r) => r.firstRequestMs),
      firstRequestUncachedMs: median(uncached.map((r) => r.firstRequestMs)),
    };
  } finally {
    await mocks.stop();
  }
}
