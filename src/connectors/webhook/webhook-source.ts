import type { Checkpoint, InboxReader, SourceConnector, SourcePage } from '../../core/connector-types.ts';
import type { InboxEntry, Reason } from '../../core/ledger-types.ts';
import { recordOf } from './webhook-event.ts';

/** What the webhook source reads and when a run of it ends. */
export interface WebhookSourceOptions {
  /** The integration's inbox; a dry run or a check has none, and reads nothing. */
  readonly inbox: InboxReader | undefined;
  readonly recordPath: string;
  readonly batchSize: number;
  /** With an inbox that announces events: end after this long without one. */
  readonly endAfterIdleMs: number;
  /** With an inbox that announces events: end after this long whatever arrives. */
  readonly maxRunMs: number;
  /** @default Date.now */
  readonly now?: () => number;
}

/** The seq the checkpoint resumes after: every event up to it was settled by an earlier run. */
export function inboxCheckpointSeq(checkpoint: Checkpoint | null): number {
  const after = checkpoint?.after;
  return typeof after === 'number' && Number.isInteger(after) && after >= 0 ? after : 0;
}

function checkpointAt(seq: number): Checkpoint {
  return { inbox: true, after: seq };
}

/**
 * A source that reads the integration's inbox: events a webhook endpoint of `ferry serve` verified and
 * stored. Each page is a run of events in arrival order; its checkpoint is the last one's seq, and once that
 * checkpoint is durable the events up to it are acknowledged in the inbox. Events of one key are applied one
 * after the other, in order: an event whose key an unsettled page holds waits until that page is settled.
 */
export function createWebhookSource(options: WebhookSourceOptions): SourceConnector {
  const now = options.now ?? Date.now;
  const { inbox } = options;
  /** Keys of the pages yielded and not yet settled, each with the seq that ends its page. */
  const unsettled = new Map<string, number>();
  let wake: (() => void) | undefined;

  /** Waits until no unsettled page holds `key` (or the run stops). */
  async function settledKey(key: string, signal: AbortSignal): Promise<void> {
    while (unsettled.has(key) && !signal.aborted) {
      await new Promise<void>((resolve) => {
        wake = resolve;
        signal.addEventListener('abort', () => resolve(), { once: true });
      });
    }
  }

  return {
    async *readPages({ from, signal }) {
      if (inbox === undefined) {
        yield { records: [], next: null, label: 'the inbox (events arrive through ferry serve)' };
        return;
      }
      let after = inboxCheckpointSeq(from);
      // The checkpoint proves those events were settled: acknowledge them in case the last run could not.
      if (after > 0) await inbox.acknowledge(after);
      const started = now();
      let lastEventAt = started;
      while (!signal.aborted) {
        const entries = await inbox.read(after, options.batchSize);
        if (entries.length === 0) {
          if (!inbox.waitForEvents) return;
          const at = now();
          const idleLeft = options.endAfterIdleMs - (at - lastEventAt);
          const runLeft = options.maxRunMs - (at - started);
          if (idleLeft <= 0 || runLeft <= 0) return;
          await inbox.waitForEvents(Math.min(idleLeft, runLeft), signal);
          continue;
        }
        lastEventAt = now();
        const taken: InboxEntry[] = [];
        const keys = new Set<string>();
        let blocked: string | undefined;
        for (const entry of entries) {
          if (entry.key !== null) {
            if (unsettled.has(entry.key) || keys.has(entry.key)) {
              blocked = entry.key;
              break;
            }
            keys.add(entry.key);
          }
          taken.push(entry);
        }
        if (taken.length > 0) {
          after = taken.at(-1)!.seq;
          for (const key of keys) unsettled.set(key, after);
          yield pageOf(taken, options.recordPath, after);
        }
        if (blocked !== undefined) await settledKey(blocked, signal);
        if (inbox.waitForEvents && now() - started >= options.maxRunMs) return;
      }
    },
    checkpointSaved: async (checkpoint) => {
      const upTo = inboxCheckpointSeq(checkpoint);
      for (const [key, seq] of unsettled) if (seq <= upTo) unsettled.delete(key);
      wake?.();
      if (inbox !== undefined && upTo > 0) await inbox.acknowledge(upTo);
    },
    close: async () => {},
  };
}

function pageOf(entries: readonly InboxEntry[], recordPath: string, after: number): SourcePage {
  const records: unknown[] = [];
  const rejects = new Map<number, readonly [Reason, ...Reason[]]>();
  for (const [index, entry] of entries.entries()) {
    const found = recordOf(entry.payload, recordPath);
    if (found.found) {
      records.push(found.record);
    } else {
      records.push(entry.payload);
      rejects.set(index, [
        {
          code: 'record_missing',
          field: recordPath,
          message: `the event has no "${recordPath}" (record_path)`,
        },
      ]);
    }
  }
  const first = entries[0]!.seq;
  return {
    records,
    positions: entries.map((entry) => `event ${entry.eventId}`),
    ...(rejects.size > 0 ? { rejects } : {}),
    label: entries.length === 1 ? `inbox event ${first}` : `inbox events ${first}-${after}`,
    next: checkpointAt(after),
  };
}
