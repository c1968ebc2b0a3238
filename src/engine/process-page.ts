import { asFerryError, type FerryError } from '../core/errors.ts';
import type { CursorValue } from '../core/ledger-types.ts';
import type { QueuedRecord, RecordOutcome } from '../core/page-types.ts';
import type { FinalState } from './engine-types.ts';
import { earlierCursor } from './high-water.ts';
import { createRecentKeys } from './recent-keys.ts';
import {
  deliverReadies,
  type Fate,
  type PendingRecord,
  prepareRecord,
  type ReadyRecord,
  type RecordContext,
} from './record-fate.ts';
import type { Slots } from './slots.ts';

/** What processing one page needs besides its records. */
export interface ProcessPageOptions {
  /** The run's context; its ledger is the worker's view fenced by the page's lease. */
  readonly ctx: RecordContext;
  /** The worker's concurrency slots, shared by every page it has. */
  readonly slots: Slots;
  /** A record read again in the run is compared with what its first copy delivered. */
  readonly comparesRepeats: boolean;
  /**
   * The page was taken over from a worker that lost it: a record that worker delivered in this run is
   * counted delivered, not skipped as delivered by an earlier run.
   */
  readonly takeover?: boolean;
  /** Aborting it stops sending more of the page; records in flight finish. */
  readonly stopSignal?: AbortSignal;
}

/** How processing a page ended. */
export interface PageOutcome {
  /** One per record, in the page's order; undefined for a record never settled (the page stopped). */
  readonly outcomes: readonly (RecordOutcome | undefined)[];
  /** Every record settled: the page may be reported settled. */
  readonly complete: boolean;
  /** The lowest cursor of a record that failed without a refusal. */
  readonly retryFrom: CursorValue | null;
  /** What stopped the page early (credentials refused, the destination gone, the lease lost). */
  readonly error?: FerryError;
}

/**
 * Takes one page of a run's records to their final states, as the single-process engine does a page: each
 * record keyed and known to the ledger, mapped a chunk at a time, the chunk's in_flight marks made durable
 * in one transaction before any of them is sent, at most `slots` in flight. Used by workers (and by a
 * reader that processes its own pages); the reader advances the checkpoint from the outcomes.
 */
export async function processPage(
  records: readonly QueuedRecord[],
  options: ProcessPageOptions,
): Promise<PageOutcome> {
  const { slots, comparesRepeats } = options;
  const outcomes: (RecordOutcome | undefined)[] = new Array(records.length).fill(undefined);
  let fatal: FerryError | undefined;
  let retryFrom: CursorValue | null = null;
  const ctx: RecordContext = { ...options.ctx, onLedgerError: (error) => stop(asFerryError(error)) };
  const stop = (error: FerryError) => {
    fatal ??= error;
  };
  const stopped = () =>
    fatal !== undefined || ctx.abortSignal?.aborted === true || options.stopSignal?.aborted === true;

  const settle = (index: number, state: FinalState, fate: Omit<Fate, 'state'>) => {
    const item = records[index]!;
    if (state === 'failed' && fate.refused !== true && item.cursor !== undefined) {
      retryFrom = earlierCursor(retryFrom, item.cursor);
    }
    outcomes[index] = {
      key: item.hasKey ? item.key : null,
      state,
      ...(fate.reasons === undefined ? {} : { reasons: fate.reasons }),
      ...(fate.attempts === undefined ? {} : { attempts: fate.attempts }),
      ...(fate.note === undefined ? {} : { note: fate.note }),
      ...(fate.known === true ? { known: true } : {}),
      ...(fate.refused === true ? { refused: true } : {}),
    };
  };

  const keys = [...new Set(records.filter((r) => r.duplicate !== true).map((r) => r.key))];
  let known: Awaited<ReturnType<typeof ctx.ledger.getRecords>>;
  try {
    known = await ctx.ledger.getRecords(ctx.integration, keys);
  } catch (error) {
    return { outcomes, complete: false, retryFrom, error: asFerryError(error) };
  }
  const recent = createRecentKeys(records.length + 1);
  const inFlight = new Set<Promise<void>>();
  const batchWrites = ctx.sink.sendBatch !== undefined;
  const indexOf = new Map<PendingRecord, number>();

  const dispatch = (readies: readonly ReadyRecord[]) => {
    const task = deliverReadies(ctx, readies)
      .then(
        (fates) => {
          for (const [i, fate] of fates.entries()) {
            const { item } = readies[i]!;
            recent.settled(item.key);
            settle(indexOf.get(item)!, fate.state, fate);
          }
        },
        (error: unknown) => stop(asFerryError(error)),
      )
      .finally(() => {
        for (const { item } of readies) recent.release(item.key);
        slots.release();
        inFlight.delete(task);
      });
    inFlight.add(task);
  };

  const chunkSize = 64;
  try {
    pageLoop: for (let next = 0; next < records.length; ) {
      if (stopped()) break;
      const chunk: PendingRecord[] = [];
      while (chunk.length < chunkSize && next < records.length) {
        const index = next;
        const item = records[index]!;
        if (item.duplicate === true) {
          next++;
          settle(index, 'skipped', { note: 'duplicate of an earlier record in this read' });
          continue;
        }
        let previous = known.get(item.key);
        if (!recent.claim(item.key)) {
          if (comparesRepeats && item.hasKey) {
            if (chunk.some((pending) => pending.key === item.key)) break;
            await recent.released(item.key);
            recent.claimAgain(item.key);
            previous = (await ctx.ledger.getRecords(ctx.integration, [item.key])).get(item.key);
          } else {
            next++;
            settle(index, 'skipped', { note: 'duplicate of an earlier record in this read' });
            continue;
          }
        }
        next++;
        const pending: PendingRecord = {
          record: item.record,
          key: item.key,
          hasKey: item.hasKey,
          previous,
          ...(item.position === undefined ? {} : { position: item.position }),
          ...(item.rejected === undefined ? {} : { rejected: item.rejected }),
          ...(item.cursor === undefined ? {} : { cursor: item.cursor }),
        };
        indexOf.set(pending, index);
        chunk.push(pending);
      }
      const prepared = await Promise.all(chunk.map((item) => prepareRecord(ctx, item)));
      const marks = prepared.flatMap((p) => (p.ready && !p.reconcile ? [p.mark] : []));
      if (marks.length > 0) await ctx.ledger.updateNow(ctx.integration, ctx.runId, marks);
      const batch: ReadyRecord[] = [];
      for (const [i, p] of prepared.entries()) {
        const pending = chunk[i]!;
        if (!p.ready) {
          recent.settled(pending.key);
          recent.release(pending.key);
          settle(indexOf.get(pending)!, ...takenOver(p.fate, pending, ctx.runId, options.takeover));
          continue;
        }
        if (batchWrites && !p.reconcile) {
          batch.push(p);
          continue;
        }
        await slots.acquire();
        if (stopped()) {
          // Marked in_flight but never sent: whoever has the page next reconciles or resends it.
          slots.release();
          break pageLoop;
        }
        dispatch([p]);
      }
      if (batch.length > 0) {
        await slots.acquire();
        if (stopped()) {
          slots.release();
          break;
        }
        dispatch(batch);
      }
    }
  } catch (error) {
    stop(asFerryError(error));
  }
  await Promise.allSettled([...inFlight]);
  const complete = outcomes.every((outcome) => outcome !== undefined) && fatal === undefined;
  if (!complete && fatal === undefined && ctx.abortSignal?.aborted === true) {
    fatal = asFerryError(ctx.abortSignal.reason);
  }
  return { outcomes, complete, retryFrom, ...(fatal === undefined ? {} : { error: fatal }) };
}

/**
 * A record another worker delivered in this run before it lost the page is delivered, as far as this run
 * is concerned; anything else is as prepareRecord said.
 */
function takenOver(
  fate: Fate,
  item: PendingRecord,
  runId: string,
  takeover: boolean | undefined,
): [FinalState, Omit<Fate, 'state'>] {
  if (
    takeover === true &&
    fate.state === 'skipped' &&
    item.previous?.state === 'delivered' &&
    item.previous.runId === runId
  ) {
    return ['delivered', { note: 'delivered before the page was taken over' }];
  }
  return [fate.state, fate];
}
