import pg from 'pg';
import { FerryError } from '../core/errors.ts';

/**
 * One run of an integration at a time across every process on one PostgreSQL ledger, as session advisory
 * locks held on a connection of their own: the server releases them the moment that session ends, when its
 * process dies (`kill -9` included) or its connection drops, so nothing judges whether a holder looks
 * alive. Keys are per schema, so several ledgers in one database do not lock each other out.
 */
export interface PostgresRunLocks {
  /** Takes the integration's lock, or resolves false while another session holds it. Idempotent. */
  tryAcquire(integration: string): Promise<boolean>;
  /** Gives the integration's lock back if this object holds it. */
  release(integration: string): Promise<void>;
  /** True while this object holds (or must win back) the integration's lock. */
  holds(integration: string): boolean;
  /**
   * Checks that every lock is still held. After the lock session was lost (the server restarted, the network
   * dropped) it takes them again on a new session, and throws FERRY_ERR_STATE_LOCKED when another process
   * took one meanwhile: the run that held it must stop writing.
   */
  verify(): Promise<void>;
  /**
   * The backend pid of the lock session and the integrations whose locks it should hold, for a write to
   * check in its own transaction (ferry_check_run_locks); null pid when no lock is held.
   */
  fence(integrations: Iterable<string>): { pid: number | null; locked: string[] };
  /** Records that the server said a lock is gone: verify() takes the locks again, or refuses. */
  markLost(): void;
  /** Ends the lock session, releasing every lock. */
  close(): Promise<void>;
}

const LOCK_KEY = `hashtextextended('ferry:run:' || current_schema() || ':' || $1, 0)`;

/** Creates the locks for a ledger reached with `config`; no connection is made before the first lock. */
export function createPostgresRunLocks(config: pg.ClientConfig, where: string): PostgresRunLocks {
  const held = new Set<string>();
  let client: pg.Client | null = null;
  /** The server's pid of the lock session. */
  let pid: number | null = null;
  /** Set when the session ended while it held locks: they are gone until verify() takes them again. */
  let lost = false;

  /** The session being opened, so that callers at the same moment share one. */
  let opening: Promise<pg.Client> | undefined;
  /** The verify going on, so that callers at the same moment wait for one. */
  let verifying: Promise<void> | undefined;

  function session(): Promise<pg.Client> {
    if (client) return Promise.resolve(client);
    opening ??= openSession().finally(() => {
      opening = undefined;
    });
    return opening;
  }

  async function openSession(): Promise<pg.Client> {
    const fresh = new pg.Client({ keepAlive: true, keepAliveInitialDelayMillis: 10_000, ...config });
    const drop = () => {
      if (client !== fresh) return;
      client = null;
      if (held.size > 0) lost = true;
    };
    fresh.on('error', drop);
    fresh.on('end', drop);
    await fresh.connect();
    const row = (await fresh.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0];
    client = fresh;
    pid = row?.pid ?? null;
    return fresh;
  }

  async function take(integration: string): Promise<boolean> {
    const result = await (await session()).query<{ ok: boolean }>(
      `SELECT pg_try_advisory_lock(${LOCK_KEY}) AS ok`,
      [integration],
    );
    return result.rows[0]?.ok === true;
  }

  async function retake(): Promise<void> {
    for (const integration of held) {
      if (!(await take(integration))) {
        throw new FerryError(
          'FERRY_ERR_STATE_LOCKED',
          `the run lock of integration ${integration} in the ledger ${where} was lost (the connection to ` +
            'PostgreSQL dropped) and another ferry process took it: this run stops writing',
          { details: { integration, location: where } },
        );
      }
    }
    lost = false;
  }

  return {
    async tryAcquire(integration: string): Promise<boolean> {
      if (held.has(integration) && !lost) return true;
      if (!(await take(integration))) return false;
      held.add(integration);
      return true;
    },
    async release(integration: string): Promise<void> {
      if (!held.delete(integration) || lost || !client) return;
      await client.query(`SELECT pg_advisory_unlock(${LOCK_KEY})`, [integration]);
    },
    holds(integration: string): boolean {
      return held.has(integration);
    },
    verify(): Promise<void> {
      if (!lost) return Promise.resolve();
      verifying ??= retake().finally(() => {
        verifying = undefined;
      });
      return verifying;
    },
    fence(integrations: Iterable<string>) {
      const locked = [...new Set(integrations)].filter((integration) => held.has(integration));
      return { pid: locked.length > 0 ? pid : null, locked };
    },
    markLost(): void {
      if (held.size > 0) lost = true;
      const open = client;
      client = null;
      void open?.end().catch(() => {});
    },
    async close(): Promise<void> {
      const open = client;
      client = null;
      held.clear();
      lost = false;
      await open?.end().catch(() => {});
    },
  };
}
