import { readFileSync } from 'node:fs';

/**
 * Returns a sampler of the share of the time since its last call that this process's main thread (its
 * event loop) was ready to run but waited for a core, other processes holding them all: its answers then
 * wait to be read, by an amount no round trip tells apart from a queue at the destination. Undefined where
 * the kernel does not say (not Linux).
 */
export function createCoreWaitSampler(
  options: { readonly path?: string; readonly now?: () => number } = {},
): () => number | undefined {
  // Linux's per-task "time on the cpu, time waiting on a runqueue, timeslices", in ns
  // (Documentation/scheduler/sched-stats.rst); /proc/self is the main thread's task.
  const path = options.path ?? '/proc/self/schedstat';
  const now = options.now ?? (() => performance.now());
  const waitedMs = (): number | undefined => {
    try {
      const waited = Number(readFileSync(path, 'latin1').split(' ')[1]) / 1e6;
      return Number.isFinite(waited) ? waited : undefined;
    } catch {
      return undefined;
    }
  };
  let lastWaited = waitedMs();
  let lastAt = now();
  return () => {
    const waited = waitedMs();
    const at = now();
    const share =
      waited === undefined || lastWaited === undefined || at <= lastAt
        ? undefined
        : (waited - lastWaited) / (at - lastAt);
    lastWaited = waited;
    lastAt = at;
    return share;
  };
}
