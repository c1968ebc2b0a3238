import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CeilingRequests } from './ceiling.ts';
import { measureProcess } from './measure-process.ts';
import { type MockEnv, ROOT } from './mock-processes.ts';
import { launcherEnv, launcherNodeFlags } from './run-ferry.ts';

/** bench/bare-client.ts's account of its run, with its rate. */
export interface BareClientResult {
  requests: number;
  created: number;
  durationMs: number;
  /** Orders the destination accepted (201) per second of the run. */
  postsPerSec: number;
  /** CPU time of its process, all threads, from its first request to its last response, in ms. */
  cpuMs: number;
}

/** bench/promise-floor.ts's account of its run. */
export interface PromiseFloorResult {
  delivered: number;
  /** CPU time of its process, all threads, from its first request to its last commit, in ms. */
  cpuMs: number;
}

/**
 * Runs a reference client (a script in bench/) as its own process, with the node flags and environment
 * ferry's launcher gives ferry, its input in a file; returns the JSON line it prints.
 */
async function runReference<T>(script: string, input: object): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-bench-reference-'));
  try {
    const file = join(dir, 'input.json');
    await writeFile(file, JSON.stringify(input));
    const run = await measureProcess(
      process.execPath,
      [...launcherNodeFlags, `${ROOT}bench/${script}`, file],
      {
        env: { ...process.env, ...launcherEnv },
      },
    );
    if (run.code !== 0) throw new Error(`${script} exited ${String(run.code)}: ${run.stderrTail}`);
    return JSON.parse(run.stdout.trim()) as T;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs bench/bare-client.ts, POSTing what the ceiling POSTs. */
export async function runBareClient(
  requests: CeilingRequests,
  connections: number,
): Promise<BareClientResult> {
  const { bodies, token, url } = requests;
  const result = await runReference<Omit<BareClientResult, 'postsPerSec'>>('bare-client.ts', {
    bodies,
    token,
    url: url.href,
    connections,
  });
  return { ...result, postsPerSec: result.created / (result.durationMs / 1000) };
}

/** Runs bench/promise-floor.ts against the mocks, with the ceiling's token. */
export function runPromiseFloor(
  env: MockEnv,
  token: string,
  connections: number,
  perPage: number,
): Promise<PromiseFloorResult> {
  return runReference<PromiseFloorResult>('promise-floor.ts', {
    sourceUrl: env.SOURCE_URL,
    apiKey: env.SOURCE_API_KEY,
    token,
    destUrl: env.DEST_URL,
    connections,
    perPage,
  });
}
