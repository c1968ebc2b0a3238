import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** What one measured child process did. */
export interface MeasuredProcess {
  /** Exit code, or null when a signal ended it. */
  code: number | null;
  /** Wall time from spawn to exit, in milliseconds. */
  wallMs: number;
  /** Peak resident set size in MB (null when not measured). */
  peakRssMb: number | null;
  /** CPU time the process used, user plus system, all threads, in ms (GNU time's %U + %S); null without it. */
  cpuMs: number | null;
  /** Resident set size every 250 ms (when RSS is measured), to tell a plateau from growth. */
  rssTimeline: { ms: number; rssMb: number }[];
  /** All of stdout. */
  stdout: string;
  /** The last 8 KB of stderr (ferry logs every quarantined record at warn). */
  stderrTail: string;
}

/** How to run a measured child. */
export interface MeasureOptions {
  env?: NodeJS.ProcessEnv;
  /** Measure peak RSS (through /usr/bin/time, else by polling /proc/PID/status VmHWM). */
  rss?: boolean;
  /** Kill the child after this long. */
  timeoutMs?: number;
}

const TIME_BIN = '/usr/bin/time';
const STDERR_TAIL = 8192;
let sequence = 0;

async function readStatusKb(pid: number, field: 'VmHWM' | 'VmRSS'): Promise<number | null> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(status);
    return match ? Number(match[1]) : null;
  } catch {
    return null;
  }
}

/** The measured process: the child itself, or GNU time's only child when wrapped. */
async function measuredPid(pid: number, wrapped: boolean): Promise<number | null> {
  if (!wrapped) return pid;
  const children = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
  const first = children.trim().split(/\s+/)[0];
  return first ? Number(first) : null;
}

/** VmHWM is the kernel's high-water mark of the process's RSS, so the last value read is the peak so far. */

/**
 * Runs a command as its own process and measures its wall time, CPU time and (optionally) peak RSS.
 * CPU time and peak RSS come from GNU time (%U + %S, and %M: exact, the child's own) when /usr/bin/time
 * exists; otherwise CPU time is not measured and VmHWM is polled every 50 ms, which can miss growth in the
 * last 50 ms of the run.
 */
export function measureProcess(
  command: string,
  args: readonly string[],
  options: MeasureOptions = {},
): Promise<MeasuredProcess> {
  const useTime = existsSync(TIME_BIN);
  const timeFile = join(tmpdir(), `ferry-bench-time-${process.pid}-${sequence++}.txt`);
  const [file, argv] = useTime
    ? [TIME_BIN, ['-f', '%M %U %S', '-o', timeFile, command, ...args]]
    : [command, [...args]];
  const started = performance.now();
  const child = spawn(file, argv, { env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_TAIL);
  });
  let polledKb: number | null = null;
  const rssTimeline: { ms: number; rssMb: number }[] = [];
  let ticks = 0;
  const poller =
    options.rss === true && child.pid !== undefined
      ? setInterval(() => {
          const tick = ticks++;
          void (async () => {
            const pid = await measuredPid(child.pid as number, useTime);
            if (pid === null) return;
            const hwm = await readStatusKb(pid, 'VmHWM');
            if (hwm !== null) polledKb = Math.max(polledKb ?? 0, hwm);
            if (tick % 5 === 0) {
              const rss = await readStatusKb(pid, 'VmRSS');
              if (rss !== null)
                rssTimeline.push({ ms: Math.round(performance.now() - started), rssMb: rss / 1024 });
            }
          })();
        }, 50)
      : undefined;
  const timer =
    options.timeoutMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => {
      const wallMs = performance.now() - started;
      if (poller) clearInterval(poller);
      if (timer) clearTimeout(timer);
      void (async () => {
        let peakKb = polledKb;
        let cpuMs: number | null = null;
        // GNU time's figures are exact; the polled high-water mark is the fallback.
        if (useTime) {
          const text = await readFile(timeFile, 'utf8').catch(() => '');
          await rm(timeFile, { force: true });
          // GNU time writes "Command exited with non-zero status N" before the figures when the child fails.
          const match = /^(\d+) (\d+\.\d+) (\d+\.\d+)$/.exec(text.trim().split('\n').at(-1) ?? '');
          if (match) {
            if (options.rss === true) peakKb = Number(match[1]);
            cpuMs = (Number(match[2]) + Number(match[3])) * 1000;
          }
        }
        resolve({
          code,
          wallMs,
          peakRssMb: peakKb === null ? null : peakKb / 1024,
          cpuMs,
          rssTimeline,
          stdout,
          stderrTail: stderr,
        });
      })();
    });
  });
}
