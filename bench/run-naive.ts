import { measureProcess } from './measure-process.ts';
import { ROOT } from './mock-processes.ts';

/** The naive script's own account of its run. */
export interface NaiveResult {
  records: number;
  delivered: number;
  skipped: number;
  conflicts: number;
  failed: number;
  durationMs: number;
  recordsPerSec: number;
  /** CPU time of the script's process, in ms (null without GNU time). */
  cpuMs: number | null;
}

/** Runs bench/naive-sync.ts as its own process against the mocks in `env`; `limit` caps the customers. */
export async function runNaive(env: NodeJS.ProcessEnv, limit?: number): Promise<NaiveResult> {
  const withLimit = limit === undefined ? env : { ...env, NAIVE_LIMIT: String(limit) };
  const run = await measureProcess(process.execPath, [`${ROOT}bench/naive-sync.ts`], { env: withLimit });
  if (run.code !== 0) throw new Error(`naive script exited ${String(run.code)}: ${run.stderrTail}`);
  const result = JSON.parse(run.stdout.trim()) as Omit<NaiveResult, 'recordsPerSec' | 'cpuMs'>;
  return { ...result, recordsPerSec: result.records / (result.durationMs / 1000), cpuMs: run.cpuMs };
}
