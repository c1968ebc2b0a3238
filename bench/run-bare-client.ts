import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CeilingRequests } from './ceiling.ts';
import { measureProcess } from './measure-process.ts';
import { ROOT } from './mock-processes.ts';
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

/**
 * Runs bench/bare-client.ts as its own process, with the node flags and environment ferry's launcher gives
 * ferry, POSTing what the ceiling POSTs.
 */
export async function runBareClient(
  requests: CeilingRequests,
  connections: number,
): Promise<BareClientResult> {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-bench-bare-'));
  try {
    const input = join(dir, 'input.json');
    const { bodies, token, url } = requests;
    await writeFile(input, JSON.stringify({ bodies, token, url: url.href, connections }));
    const run = await measureProcess(
      process.execPath,
      [...launcherNodeFlags, `${ROOT}bench/bare-client.ts`, input],
      { env: { ...process.env, ...launcherEnv } },
    );
    if (run.code !== 0) throw new Error(`bare client exited ${String(run.code)}: ${run.stderrTail}`);
    const result = JSON.parse(run.stdout.trim()) as Omit<BareClientResult, 'postsPerSec'>;
    return { ...result, postsPerSec: result.created / (result.durationMs / 1000) };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
