import type pg from 'pg';
import type { InboxEntry, InboxEvent, InboxOutcome, InboxStats, Ledger } from '../core/ledger-types.ts';
import { redactValue } from '../core/secret-registry.ts';

type InboxMethods = Pick<Ledger, 'inboxAdd' | 'inboxRead' | 'inboxAcknowledge' | 'inboxStats' | 'inboxPrune'>;

/** How the PostgreSQL ledger runs a statement: in call order, waiting out lost connections. */
export interface InboxDatabase {
  op<T>(what: string, fn: () => Promise<T>): Promise<T>;
  query<R extends pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
}

interface InboxRow {
  seq: string;
  integration: string;
  event_id: string;
  key: string | null;
  version: number | null;
  payload: unknown;
  received_at: string;
}

function toInboxEntry(row: InboxRow): InboxEntry {
  return {
    seq: Number(row.seq),
    integration: row.integration,
    eventId: row.event_id,
    key: row.key,
    version: row.version === null ? null : Number(row.version),
    payload: row.payload ?? null,
    receivedAt: row.received_at,
  };
}

/** The inbox of pushed events in the PostgreSQL ledger (migration 3 and its ferry_inbox_add). */
export function postgresInbox({ op, query }: InboxDatabase): InboxMethods {
  return {
    inboxAdd(event: InboxEvent, options: { readonly maxPending: number }) {
      return op(`storing the event ${event.eventId} in the inbox`, async () => {
        const payload = JSON.stringify(redactValue(event.payload)) ?? null;
        const row = (
          await query<{ outcome: InboxOutcome; added_seq: string | null }>(
            'SELECT outcome, added_seq FROM ferry_inbox_add($1, $2, $3, $4, $5::json, $6, $7)',
            [
              event.integration,
              event.eventId,
              event.key,
              event.version,
              payload,
              event.receivedAt,
              Math.max(0, Math.trunc(options.maxPending)),
            ],
          )
        ).rows[0]!;
        return row.added_seq === null
          ? { outcome: row.outcome }
          : { outcome: row.outcome, seq: Number(row.added_seq) };
      });
    },

    inboxRead(integration: string, afterSeq: number, limit: number) {
      return op('reading the inbox', async () =>
        (
          await query<InboxRow>(
            `SELECT seq, integration, event_id, key, version, payload, received_at FROM inbox
             WHERE integration = $1 AND state = 'pending' AND seq > $2 ORDER BY seq LIMIT $3`,
            [integration, Math.trunc(afterSeq), Math.max(0, Math.trunc(limit))],
          )
        ).rows.map(toInboxEntry),
      );
    },

    async inboxAcknowledge(integration: string, upToSeq: number) {
      await op('acknowledging inbox events', () =>
        query(
          `UPDATE inbox SET state = 'done', payload = NULL
           WHERE integration = $1 AND state = 'pending' AND seq <= $2`,
          [integration, Math.trunc(upToSeq)],
        ),
      );
    },

    inboxStats(integration: string): Promise<InboxStats> {
      return op('counting inbox events', async () => {
        const row = (
          await query<{ n: string; oldest: string | null }>(
            `SELECT count(*) AS n, min(received_at) AS oldest FROM inbox
             WHERE integration = $1 AND state = 'pending'`,
            [integration],
          )
        ).rows[0];
        return { pending: Number(row?.n ?? 0), oldestPendingAt: row?.oldest ?? null };
      });
    },

    inboxPrune(integration: string, before: string) {
      return op(
        'pruning the inbox',
        async () =>
          (
            await query(
              `DELETE FROM inbox WHERE integration = $1 AND state <> 'pending' AND received_at < $2`,
              [integration, before],
            )
          ).rowCount ?? 0,
      );
    },
  };
}
