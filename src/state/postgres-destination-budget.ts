import type pg from 'pg';
import { LEARNED_LIMIT_HEADROOM } from '../core/rate-headroom.ts';

/**
 * What the processes of a cluster share about one destination, in the ledger's database (migration 4):
 * the pace of their requests, a pause, their shares of its concurrency, and its circuit breaker. The shapes
 * are those of src/resilience/shared-limiter.ts (RateBudget), src/resilience/circuit-breaker.ts
 * (BreakerBoard) and src/runtime/shared-slots.ts (SlotBudget); the runtime wires them together.
 */
export interface DestinationBudget {
  reserve(count: number): Promise<{ waitMs: number; intervalMs: number }>;
  setLimits(limits: { readonly configured?: number | null; readonly learned?: number | null }): Promise<void>;
  pause(ms: number): Promise<void>;
  /** Claims this process's share of `total` requests in flight (see ferry_claim_slots). */
  claimSlots(total: number, want: number, inFlight: number): Promise<{ share: number; claimed: number }>;
  /** Gives this process's share back (it stops sending). */
  leaveSlots(): Promise<void>;
  readonly breaker: {
    read(): Promise<boolean>;
    open(): Promise<void>;
    claimProbe(halfOpenAfterMs: number, probeTimeoutMs: number): Promise<boolean>;
    close(): Promise<void>;
  };
}

/** The budget of the destination `key` (an integration's) as the process `member` sees it. */
export function createDestinationBudget(pool: pg.Pool, key: string, member: string): DestinationBudget {
  return {
    async reserve(count) {
      const row = (
        await pool.query<{ wait_ms: number; interval_ms: number }>(
          'SELECT wait_ms, interval_ms FROM ferry_rate_reserve($1, $2, $3)',
          [key, Math.max(1, Math.trunc(count)), LEARNED_LIMIT_HEADROOM],
        )
      ).rows[0];
      return { waitMs: Number(row?.wait_ms ?? 0), intervalMs: Number(row?.interval_ms ?? 0) };
    },

    async setLimits(limits) {
      await pool.query(
        `INSERT INTO destination_budgets (key, configured, learned) VALUES ($1, $2, $3)
         ON CONFLICT (key) DO UPDATE SET
           configured = CASE WHEN $4 THEN excluded.configured ELSE destination_budgets.configured END,
           learned = CASE WHEN $5 THEN excluded.learned ELSE destination_budgets.learned END`,
        [
          key,
          limits.configured ?? null,
          limits.learned ?? null,
          limits.configured !== undefined,
          limits.learned !== undefined,
        ],
      );
    },

    async pause(ms) {
      await pool.query(
        `INSERT INTO destination_budgets (key, paused_until) VALUES ($1, ferry_now_ms() + $2)
         ON CONFLICT (key) DO UPDATE SET
           paused_until = greatest(destination_budgets.paused_until, excluded.paused_until)`,
        [key, Math.max(0, ms)],
      );
    },

    async claimSlots(total, want, inFlight) {
      const row = (
        await pool.query<{ share: number; claimed: number }>(
          'SELECT share, claimed FROM ferry_claim_slots($1, $2, $3, $4, $5)',
          [key, member, total, want, inFlight],
        )
      ).rows[0];
      return { share: Number(row?.share ?? 0), claimed: Number(row?.claimed ?? 0) };
    },

    async leaveSlots() {
      await pool.query('DELETE FROM destination_members WHERE key = $1 AND member = $2', [key, member]);
    },

    breaker: {
      async read() {
        const row = (
          await pool.query<{ open: boolean }>('SELECT open FROM destination_breakers WHERE key = $1', [key])
        ).rows[0];
        return row?.open === true;
      },
      async open() {
        await pool.query(
          `INSERT INTO destination_breakers (key, open, opened_at, pause_started_at)
           VALUES ($1, true, ferry_now_ms(), ferry_now_ms())
           ON CONFLICT (key) DO UPDATE SET open = true, opened_at = excluded.opened_at, probe_until = 0,
             pause_started_at = CASE WHEN destination_breakers.open
               THEN destination_breakers.pause_started_at ELSE excluded.pause_started_at END`,
          [key],
        );
      },
      async claimProbe(halfOpenAfterMs, probeTimeoutMs) {
        const claimed = await pool.query(
          `UPDATE destination_breakers SET probe_until = ferry_now_ms() + $3
           WHERE key = $1 AND open AND opened_at + $2 <= ferry_now_ms() AND probe_until < ferry_now_ms()
           RETURNING 1`,
          [key, halfOpenAfterMs, probeTimeoutMs],
        );
        return (claimed.rowCount ?? 0) > 0;
      },
      async close() {
        await pool.query(
          `UPDATE destination_breakers SET open = false, probe_until = 0, pause_started_at = NULL
           WHERE key = $1`,
          [key],
        );
      },
    },
  };
}
