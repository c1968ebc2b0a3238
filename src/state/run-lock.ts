import { readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { DatabaseSync } from 'node:sqlite';
import { FerryError } from '../core/errors.ts';

/** One ferry run per state directory at a time, held as a kernel file lock for the run's whole life. */
export interface RunLock {
  readonly path: string;
  /** True while this object holds the lock. */
  readonly held: boolean;
  /** Takes the lock (idempotent); throws FERRY_ERR_STATE_LOCKED while another holder has it. */
  acquire(): void;
  /** Gives the lock back if this object holds it. */
  release(): void;
  /** True when nobody holds the lock at this moment (this object included). */
  isFree(): boolean;
}

/** Who took the lock, written beside it for the message a refused run prints; never used to judge. */
interface Holder {
  readonly pid: number;
  readonly host: string;
  readonly acquiredAt: string;
}

function isBusy(error: unknown): boolean {
  const { errcode, errstr } = error as { errcode?: number; errstr?: string };
  // SQLITE_BUSY (5) or SQLITE_LOCKED (6), as node:sqlite reports them.
  return errcode === 5 || errcode === 6 || /locked|busy/i.test(String(errstr ?? error));
}

function readHolder(path: string): Holder | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Holder;
  } catch {
    return undefined;
  }
}

/**
 * Creates the lock for `path` (not taken yet). The lock is SQLite's exclusive lock on a small database of
 * its own, which is an fcntl lock: the kernel drops it the moment its process dies, `kill -9` included and
 * before the dead process is reaped, so a supervisor that restarts at once resumes instead of being refused.
 * Nothing is judged by whether a pid looks alive.
 */
export function createRunLock(path: string): RunLock {
  const holderPath = `${path}.holder`;
  let db: DatabaseSync | null = null;

  /** Takes the exclusive lock, or returns false while someone holds it. */
  function tryTake(): boolean {
    const connection = new DatabaseSync(path, { timeout: 0 });
    try {
      connection.exec('PRAGMA locking_mode = EXCLUSIVE');
      connection.exec('BEGIN EXCLUSIVE');
      // Holding a write lock needs a write: the first one takes the exclusive lock for good.
      connection.exec('CREATE TABLE IF NOT EXISTS lock (id INTEGER PRIMARY KEY)');
    } catch (error) {
      connection.close();
      if (isBusy(error)) return false;
      throw new FerryError('FERRY_ERR_STATE', `taking the run lock ${path} failed: ${String(error)}`, {
        cause: error,
        details: { lockPath: path },
      });
    }
    db = connection;
    return true;
  }

  function giveBack(): void {
    const connection = db;
    db = null;
    if (!connection) return;
    try {
      connection.exec('ROLLBACK');
    } finally {
      connection.close();
    }
  }

  return {
    path,
    get held() {
      return db !== null;
    },
    acquire(): void {
      if (db !== null) return;
      if (!tryTake()) {
        const holder = readHolder(holderPath);
        const who = holder
          ? `pid ${holder.pid} on ${holder.host}, since ${holder.acquiredAt}`
          : 'another process';
        throw new FerryError(
          'FERRY_ERR_STATE_LOCKED',
          `the state directory is in use by another ferry run (${who}; lock ${path}); wait for it to end or stop it`,
          { details: { lockPath: path, ...(holder ? { pid: holder.pid } : {}) } },
        );
      }
      const holder: Holder = { pid: process.pid, host: hostname(), acquiredAt: new Date().toISOString() };
      writeFileSync(holderPath, `${JSON.stringify(holder)}\n`, { mode: 0o600 });
    },
    release: giveBack,
    isFree(): boolean {
      if (db !== null) return false;
      if (!tryTake()) return false;
      giveBack();
      return true;
    },
  };
}
