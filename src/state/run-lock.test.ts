import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hasErrorCode } from '../core/errors.ts';
import { createRunLock } from './run-lock.ts';

const runLockModule = new URL('./run-lock.ts', import.meta.url).pathname;

let dir: string;
let lockPath: string;
const children: ChildProcess[] = [];
const holders: number[] = [];
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-lock-'));
  lockPath = join(dir, 'ferry.lock');
});
afterEach(async () => {
  for (const pid of holders.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Already dead (killed by the test itself).
    }
  }
  for (const child of children.splice(0)) child.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
});

function lockedError(fn: () => void): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected the lock to be refused');
}

/**
 * Starts a shell whose background child takes the lock and says so; the shell then sleeps without ever
 * waiting for that child, so once it is killed the child stays a zombie, not reaped.
 */
async function holderUnderSleepingShell(): Promise<{ holderPid: number }> {
  const script = `import { createRunLock } from ${JSON.stringify(runLockModule)};
createRunLock(${JSON.stringify(lockPath)}).acquire();
console.log('held');
setInterval(() => {}, 1000);`;
  const shell = spawn(
    'sh',
    ['-c', `"$NODE" --input-type=module -e "$SCRIPT" & echo "pid $!"; exec sleep 120`],
    { env: { ...process.env, NODE: process.execPath, SCRIPT: script }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  children.push(shell);
  let holderPid = 0;
  for await (const line of createInterface({ input: shell.stdout! })) {
    if (line.startsWith('pid ')) {
      holderPid = Number(line.slice(4));
      holders.push(holderPid);
    }
    if (line === 'held') break;
  }
  return { holderPid };
}

/**
 * Resolves once the process is a zombie with no thread left: dead, its files closed by the kernel (which
 * happens as its last thread exits), not yet reaped.
 */
async function untilZombie(pid: number): Promise<void> {
  for (;;) {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const state = /^State:\s+(\S)/m.exec(status)?.[1];
    const threads = Number(/^Threads:\s+(\d+)/m.exec(status)?.[1]);
    if (state === 'Z' && threads <= 1) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('createRunLock', () => {
  it('is held by one holder at a time, and free again once released', () => {
    const first = createRunLock(lockPath);
    const second = createRunLock(lockPath);
    first.acquire();
    expect(first.held).toBe(true);
    const error = lockedError(() => second.acquire());
    expect(hasErrorCode(error, 'FERRY_ERR_STATE_LOCKED')).toBe(true);
    expect(String(error)).toContain(`pid ${process.pid}`);
    expect(second.isFree()).toBe(false);
    first.release();
    expect(second.isFree()).toBe(true);
    second.acquire();
    expect(second.held).toBe(true);
    second.release();
  });

  it('refuses a lock another process holds, naming its pid', async () => {
    const { holderPid } = await holderUnderSleepingShell();
    const error = lockedError(() => createRunLock(lockPath).acquire());
    expect(hasErrorCode(error, 'FERRY_ERR_STATE_LOCKED')).toBe(true);
    expect(String(error)).toContain(`pid ${holderPid}`);
  });

  it('is free the moment its holder is killed with -9, before the dead process is reaped', async () => {
    const { holderPid } = await holderUnderSleepingShell();
    process.kill(holderPid, 'SIGKILL');
    await untilZombie(holderPid);
    // A pid check would still see the zombie as alive; the kernel dropped its lock with its files.
    const lock = createRunLock(lockPath);
    lock.acquire();
    expect(lock.held).toBe(true);
    lock.release();
  });
});
