import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  adminClient,
  createTestDatabase,
  postgresServer,
  uniqueName,
  urlOf,
} from '../../test/support/postgres.ts';
import { LEARNED_LIMIT_HEADROOM } from '../core/rate-headroom.ts';
import { createDestinationBudget } from './postgres-destination-budget.ts';
import { openPostgresLedger } from './postgres-ledger.ts';

let database: Awaited<ReturnType<typeof createTestDatabase>>;
beforeAll(async () => {
  database = await createTestDatabase('ferry_budget');
});
afterAll(() => database.drop());

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A migrated schema and a pool on it, as the cluster's processes share it. */
async function shared(): Promise<pg.Pool> {
  const schema = uniqueName('s');
  const admin = await adminClient(database.name);
  await admin.query(`CREATE SCHEMA ${schema}`);
  await admin.end();
  const server = postgresServer();
  const url = urlOf(server, database.name, { schema });
  const ledger = await openPostgresLedger({ connectionString: url, password: server.password });
  await ledger.close();
  const withPassword = new URL(url);
  withPassword.password = encodeURIComponent(server.password);
  const pool = new pg.Pool({ connectionString: withPassword.href, max: 4 });
  closers.push(() => pool.end());
  return pool;
}

describe("a destination's budget shared by a cluster", () => {
  it('gives every process its own send times on one schedule at the lower of the configured and learned limits', async () => {
    const pool = await shared();
    const a = createDestinationBudget(pool, 'orders', 'a');
    const b = createDestinationBudget(pool, 'orders', 'b');
    // No limit known: nothing is paced.
    expect(await a.reserve(5)).toEqual({ waitMs: 0, intervalMs: 0 });
    await a.setLimits({ configured: 100 });
    await b.setLimits({ learned: 50 });
    const first = await a.reserve(10);
    const second = await b.reserve(10);
    // The learned 50 req/s, less the headroom a learned limit is paced with.
    expect(first.intervalMs).toBeCloseTo(1000 / (50 * LEARNED_LIMIT_HEADROOM), 6);
    // b's ten sends follow a's ten on the same schedule (less the time between the two calls).
    expect(second.waitMs).toBeGreaterThan(first.waitMs + 9 * first.intervalMs - 50);
    // The configured limit caps a learned one above it; a process leaving it unset keeps it.
    await b.setLimits({ learned: 1000 });
    expect((await a.reserve(1)).intervalMs).toBeCloseTo(10, 6);
  });

  it('holds every process back during a pause, limit or none', async () => {
    const pool = await shared();
    const a = createDestinationBudget(pool, 'orders', 'a');
    const b = createDestinationBudget(pool, 'orders', 'b');
    await a.pause(60_000);
    const held = await b.reserve(1);
    expect(held.intervalMs).toBe(0);
    expect(held.waitMs).toBeGreaterThan(50_000);
  });

  it("splits the destination's concurrency between the processes that send, never past the total", async () => {
    const pool = await shared();
    const members = ['a', 'b', 'c'].map((m) => createDestinationBudget(pool, 'orders', m));
    const [a, b, c] = members as [(typeof members)[0], (typeof members)[0], (typeof members)[0]];
    // Alone, a may have what it wants.
    expect(await a.claimSlots(10, 8, 0)).toEqual({ share: 8, claimed: 8 });
    // b joins: its fair share is 5, but a holds 8 until its requests drain.
    expect(await b.claimSlots(10, 8, 0)).toEqual({ share: 5, claimed: 2 });
    expect(await a.claimSlots(10, 8, 7)).toEqual({ share: 5, claimed: 7 });
    expect(await b.claimSlots(10, 8, 2)).toEqual({ share: 5, claimed: 3 });
    expect(await a.claimSlots(10, 8, 5)).toEqual({ share: 5, claimed: 5 });
    expect(await b.claimSlots(10, 8, 3)).toEqual({ share: 5, claimed: 5 });
    // An idle process claims nothing and does not count: c asking for none leaves a and b their shares.
    expect(await c.claimSlots(10, 0, 0)).toEqual({ share: 0, claimed: 0 });
    expect(await a.claimSlots(10, 8, 5)).toEqual({ share: 5, claimed: 5 });
    const total = await pool.query<{ n: number }>(
      `SELECT sum(claimed)::int AS n FROM destination_members WHERE key = 'orders'`,
    );
    expect(total.rows[0]!.n).toBeLessThanOrEqual(10);
    // A process that leaves gives its share back.
    await a.leaveSlots();
    expect(await b.claimSlots(10, 8, 5)).toEqual({ share: 8, claimed: 8 });
  });

  it('lets one process probe an open breaker, and closes it for all when the probe succeeds', async () => {
    const pool = await shared();
    const a = createDestinationBudget(pool, 'orders', 'a');
    const b = createDestinationBudget(pool, 'orders', 'b');
    expect(await b.breaker.read()).toBe(false);
    await a.breaker.open();
    expect(await b.breaker.read()).toBe(true);
    // Not yet half open.
    expect(await b.breaker.claimProbe(60_000, 30_000)).toBe(false);
    // Half open: one probe, not two.
    expect(await b.breaker.claimProbe(0, 30_000)).toBe(true);
    expect(await a.breaker.claimProbe(0, 30_000)).toBe(false);
    await b.breaker.close();
    expect(await a.breaker.read()).toBe(false);
  });
});
