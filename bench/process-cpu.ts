import { readdir, readFile } from 'node:fs/promises';

/**
 * CPU time a running process has used so far, all its threads, in milliseconds: the sum of the first field of
 * /proc/PID/task/TID/schedstat (nanoseconds on CPU). Linux only; null where /proc has no such file, or once
 * the process is gone. Threads that already ended are not counted: fine for the mock servers it is read
 * from, whose threads live as long as they do.
 */
export async function processCpuMs(pid: number): Promise<number | null> {
  try {
    const tasks = await readdir(`/proc/${pid}/task`);
    let ns = 0;
    for (const task of tasks) {
      const text = await readFile(`/proc/${pid}/task/${task}/schedstat`, 'utf8').catch(() => '0');
      ns += Number(text.split(' ', 1)[0]);
    }
    return ns / 1e6;
  } catch {
    return null;
  }
}
