import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
/** The flagship integration file. */
export const flagshipConfig = fileURLToPath(
  new URL('../../examples/customers-to-orders.yaml', import.meta.url),
);
const ferryBin = fileURLToPath(new URL('../../bin/ferry.js', import.meta.url));

/** What a finished ferry process left behind. */
export interface FerryResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A ferry process started as a user would (bin/ferry.js on this Node 24), for end-to-end tests. */
export interface FerryProcess {
  readonly pid: number;
  readonly done: Promise<FerryResult>;
  kill(signal: NodeJS.Signals): void;
  /** What stderr printed so far. */
  stderr(): string;
  /** Resolves when stderr has printed text matching `pattern` (e.g. a log line). */
  waitForStderr(pattern: RegExp, timeoutMs?: number): Promise<void>;
}

/** Spawns `ferry <args>` with exactly `env` (plus PATH), never the caller's environment. */
export function startFerry(
  args: readonly string[],
  options: {
    env?: Record<string, string>;
    cwd?: string;
    uid?: number;
    /** A command that runs the process, such as `ip netns exec NAME` (it must exec, keeping the pid). */
    prefix?: readonly string[];
  } = {},
): FerryProcess {
  const [command, ...prefixArgs] = [...(options.prefix ?? []), process.execPath];
  const child = spawn(command!, [...prefixArgs, ferryBin, ...args], {
    cwd: options.cwd ?? repoRoot,
    ...(options.uid === undefined ? {} : { uid: options.uid, gid: options.uid }),
    env: { PATH: process.env.PATH ?? '', NO_COLOR: '1', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const listeners = new Set<() => void>();
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString('utf8');
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
    for (const listener of listeners) listener();
  });
  const done = new Promise<FerryResult>((resolve) => {
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return {
    pid: child.pid!,
    done,
    kill: (signal) => child.kill(signal),
    stderr: () => stderr,
    waitForStderr(pattern, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (pattern.test(stderr)) {
            listeners.delete(check);
            clearTimeout(timer);
            resolve();
          }
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(
            new Error(
              `ferry did not print ${pattern} within ${timeoutMs} ms; stderr so far:\n${stderr.slice(-2000)}`,
            ),
          );
        }, timeoutMs);
        listeners.add(check);
        void done.then(() => {
          if (listeners.has(check)) {
            listeners.delete(check);
            clearTimeout(timer);
            if (pattern.test(stderr)) resolve();
            else
              reject(new Error(`ferry exited before printing ${pattern}; stderr:\n${stderr.slice(-2000)}`));
          }
        });
        check();
      });
    },
  };
}

/** Runs `ferry <args>` to completion. */
export function runFerry(
  args: readonly string[],
  options: { env?: Record<string, string>; cwd?: string; uid?: number } = {},
): Promise<FerryResult> {
  return startFerry(args, options).done;
}
