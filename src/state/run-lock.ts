import { randomUUID } from 'node:crypto';
import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { FerryError } from '../core/errors.ts';

/** An exclusive, pid-stamped lock file: one ferry run per state directory at a time. */
export interface RunLock {
  readonly path: string;
  /** True while this object holds the lock. */
  readonly held: boolean;
  /** Takes the lock (idempotent); takes over a lock left by a dead process; throws FERRY_ERR_STATE_LOCKED. */
  acquire(): void;
  /** Gives the lock back if this object holds it. */
  release(): void;
}

interface LockContent {
  readonly pid: number;
  readonly token: string;
  readonly host: string;
  readonly acquiredAt: string;
}

/** True when a process with this pid exists (EPERM means it exists but belongs to another user). */
export function isProcessAlive(pid: number): boolean {
  // kill(0) or a negative pid would address a process group, never "is this one process alive".
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function errnoCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return null;
    throw error;
  }
}

function parsePid(text: string): number | null {
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'number') return parsed;
    if (typeof parsed === 'object' && parsed !== null) {
      const pid = (parsed as { pid?: unknown }).pid;
      if (typeof pid === 'number') return pid;
    }
  } catch {
    // Unreadable content: treated as stale below.
  }
  return null;
}

function tryUnlink(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone.
  }
}

/**
 * Creates the lock for `path` (not taken yet). The file is created complete and atomically (written
 * aside, then hard-linked into place, which fails if it exists), so nobody ever reads a half-written lock.
 * A stale lock is taken over by renaming it away first, so two processes cannot both take it over.
 * Limitation: a dead holder whose pid was reused by an unrelated process still looks alive.
 */
export function createRunLock(path: string, options: { isAlive?: (pid: number) => boolean } = {}): RunLock {
  const isAlive = options.isAlive ?? isProcessAlive;
  let token: string | null = null;

  function tryCreate(): boolean {
    const content: LockContent = {
      pid: process.pid,
      token: randomUUID(),
      host: hostname(),
      acquiredAt: new Date().toISOString(),
    };
    const aside = `${path}.${process.pid}.${content.token}.tmp`;
    writeFileSync(aside, `${JSON.stringify(content)}\n`, { mode: 0o600 });
    try {
      linkSync(aside, path);
      token = content.token;
      return true;
    } catch (error) {
      if (errnoCode(error) === 'EEXIST') return false;
      throw error;
    } finally {
      tryUnlink(aside);
    }
  }

  function lockedError(pid: number): FerryError {
    return new FerryError(
      'FERRY_ERR_STATE_LOCKED',
      `the state directory is in use by another ferry process (pid ${pid}, lock ${path}); wait for it to end or stop it`,
      { details: { pid, lockPath: path } },
    );
  }

  function acquire(): void {
    if (token !== null) return;
    try {
      for (let attempt = 0; attempt < 5; attempt++) {
        if (tryCreate()) return;
        const seen = readText(path);
        if (seen === null) continue; // released between our two steps
        const pid = parsePid(seen);
        if (pid !== null && isAlive(pid)) throw lockedError(pid);
        // Stale (dead pid or unreadable): move it aside atomically, then check we moved what we judged.
        const aside = `${path}.stale.${process.pid}.${randomUUID()}`;
        try {
          renameSync(path, aside);
        } catch (error) {
          if (errnoCode(error) === 'ENOENT') continue;
          throw error;
        }
        if (readText(aside) !== seen) {
          // Another process took the stale lock over in between: put its fresh lock back.
          try {
            linkSync(aside, path);
          } catch {
            // Someone holds it again; the next attempt will see who.
          }
        }
        tryUnlink(aside);
      }
    } catch (error) {
      if (error instanceof FerryError) throw error;
      throw new FerryError('FERRY_ERR_STATE', `taking the run lock ${path} failed: ${String(error)}`, {
        cause: error,
        details: { lockPath: path },
      });
    }
    const pid = parsePid(readText(path) ?? '');
    throw lockedError(pid ?? -1);
  }

  function release(): void {
    if (token === null) return;
    const mine = token;
    token = null;
    const text = readText(path);
    // Only remove our own lock: after a takeover (we were presumed dead) it is someone else's.
    if (text?.includes(mine)) tryUnlink(path);
  }

  return {
    path,
    get held() {
      return token !== null;
    },
    acquire,
    release,
  };
}
