import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hasErrorCode } from '../core/errors.ts';
import { createRunLock, isProcessAlive } from './run-lock.ts';

/** A pid that surely belonged to a process that has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
  return Number(child.stdout.toString());
}

let dir: string;
let lockPath: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-lock-'));
  lockPath = join(dir, 'ferry.lock');
});
afterEach(async () => {
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

describe('createRunLock', () => {
  it('writes the pid into the lock and removes it on release', () => {
    const lock = createRunLock(lockPath);
    lock.acquire();
    expect(lock.held).toBe(true);
    expect(JSON.parse(readFileSync(lockPath, 'utf8')).pid).toBe(process.pid);
    lock.release();
    expect(lock.held).toBe(false);
    expect(existsSync(lockPath)).toBe(false);
  });

  it('refuses a lock held by a live process and names its pid', () => {
    const livePid = process.ppid;
    writeFileSync(lockPath, JSON.stringify({ pid: livePid }));
    const error = lockedError(() => createRunLock(lockPath).acquire());
    expect(hasErrorCode(error, 'FERRY_ERR_STATE_LOCKED')).toBe(true);
    expect((error as Error).message).toContain(`pid ${livePid}`);
    expect(JSON.parse(readFileSync(lockPath, 'utf8')).pid).toBe(livePid);
  });

  it('refuses a second holder in the same process', () => {
    const first = createRunLock(lockPath);
    first.acquire();
    const error = lockedError(() => createRunLock(lockPath).acquire());
    expect(hasErrorCode(error, 'FERRY_ERR_STATE_LOCKED')).toBe(true);
    first.release();
  });

  it('takes over a stale lock whose process is dead', () => {
    const pid = deadPid();
    expect(isProcessAlive(pid)).toBe(false);
    writeFileSync(lockPath, JSON.stringify({ pid }));
    const lock = createRunLock(lockPath);
    lock.acquire();
    expect(lock.held).toBe(true);
    expect(JSON.parse(readFileSync(lockPath, 'utf8')).pid).toBe(process.pid);
    lock.release();
  });

  it('takes over a lock file with unreadable content', () => {
    writeFileSync(lockPath, 'garbage');
    const lock = createRunLock(lockPath);
    lock.acquire();
    expect(lock.held).toBe(true);
    lock.release();
  });

  it('does not remove a lock another process took over after presuming this one dead', () => {
    const lock = createRunLock(lockPath);
    lock.acquire();
    writeFileSync(lockPath, JSON.stringify({ pid: process.ppid, token: 'someone-else' }));
    lock.release();
    expect(existsSync(lockPath)).toBe(true);
  });

  it('never treats pid 0 or a negative pid as alive', () => {
    expect(isProcessAlive(0)).toBe(false);
    expect(isProcessAlive(-1)).toBe(false);
    expect(isProcessAlive(process.pid)).toBe(true);
  });
});
