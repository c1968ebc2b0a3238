import { asConcurrencyLimit } from '../core/concurrency-limit.ts';
import { asFerryError, type FerryError } from '../core/errors.ts';
import type { CursorValue, RunStatus } from '../core/ledger-types.ts';
import { createCheckpointChain } from './checkpoint-chain.ts';
import type { FinalState, RunCounts, RunOptions, RunResult } from './engine-types.ts';
import { createHighWater, cursorOf, earlierCursor, laterCursor } from './high-water.ts';
import type { TrackedPage } from './page-tracker.ts';
import { prefetchOne } from './prefetch.ts';
import { createQuarantineWatch } from './quarantine-watch.ts';
import { createRecentKeys } from './recent-keys.ts';
import {
  contentKey,
  deliverReadies,
  type Fate,
  type PendingRecord,
  prepareRecord,
  type ReadyRecord,
  type RecordContext,
} from './record-fate.ts';
import { newRunCounts } from './run-counts.ts';
import { safeKeyOf } from './safe-key.ts';
import { createSlots } from './slots.ts';
import { createSourceTotal } from './source-total.ts';

/**
 * Runs one integration: reads the source page by page from its checkpoint, settles every record into
 * exactly one final state with at most `concurrency` in flight, and advances the checkpoint only past
 * fully settled pages. Resolves with how the run ended; never rejects for record-level problems.
 */
export async function runIntegration(options: RunOptions): Promise<RunResult> {
  const { integration, ledger, observer = {}, clock = () => new Date() } = options;
  const recoveredRuns = await ledger.markCrashedRuns(integration);
  const run = await ledger.startRun(integration, clock().toISOString());
  observer.onRunStarted?.({ runId: run.id, startedAt: run.startedAt, recoveredRuns });
  const counts: RunCounts = newRunCounts();
  const lookupBeforeSend = options.sink.lookupBeforeSend ?? 'new_ledger';
  // Until a run has read the source to its end with this ledger, the ledger may be a new one for a job that
  // delivered from elsewhere (another directory, a lost disk), and a run killed before the end does not
  // change that: what it does not know may be at the destination already.
  const newLedger = !(await ledger.hasReadToEnd(integration));
  const lookupUnknown = lookupBeforeSend === 'always' || (lookupBeforeSend === 'new_ledger' && newLedger);

  const checkpoint = await ledger.getCheckpoint(integration);
  const cursor = options.source.incremental;
  const highWater = cursor ? createHighWater(cursor, await ledger.getHighWaterMark(integration)) : undefined;
  // A record read again in the same run (it changed while the read went on, or the source repeats it) is
  // compared with what was delivered once its first copy settled, instead of being skipped as a duplicate:
  // its later version must reach the destination.
  const comparesRepeats =
    cursor !== undefined ||
    (options.sink.onChange ?? 'skip') !== 'skip' ||
    (options.sink.onDelete ?? 'ignore') !== 'ignore';
  let fatal: FerryError | undefined;
  const stopReading = new AbortController();
  const stop = (error: FerryError) => {
    fatal ??= error;
    stopReading.abort();
  };
  const ctx: RecordContext = {
    integration,
    runId: run.id,
    ledger,
    sink: options.sink,
    mapper: options.mapper,
    clock,
    lookupUnknown,
    newLedger,
    ...(options.abortSignal ? { abortSignal: options.abortSignal } : {}),
    onLedgerError: (error) => stop(asFerryError(error)),
  };
  options.stopSignal?.addEventListener('abort', () => stopReading.abort(), { once: true });

  const checkpoints = createCheckpointChain({
    ledger,
    integration,
    runId: run.id,
    source: options.source,
    highWater,
    observer,
    from: checkpoint,
    stop,
  });
  const { tracker } = checkpoints;
  const concurrency = asConcurrencyLimit(options.concurrency);
  const slots = createSlots(concurrency);
  const recent = createRecentKeys(Math.max(10_000, concurrency.max * 64));
  const inFlight = new Set<Promise<void>>();

  const quarantine = createQuarantineWatch(options.quarantineLimit);
  const settle = (
    state: FinalState,
    page: TrackedPage,
    key: string | null,
    fate: Omit<Fate, 'state'>,
    recordCursor?: CursorValue,
  ) => {
    // A record that may go through next time (the destination was unreachable, answered 5xx) holds the
    // high-water mark back, so the next incremental read gets it again.
    if (state === 'failed' && fate.refused !== true && recordCursor !== undefined) {
      page.retryFrom = earlierCursor(page.retryFrom, recordCursor);
    }
    counts[state]++;
    if (fate.known && state === 'quarantined') counts.stillQuarantined++;
    if (fate.known && state === 'failed') counts.stillFailed++;
    observer.onRecordSettled?.({ key, state, ...fate });
    tracker.settle(page);
    const tooMany = quarantine.settled(state, fate.reasons, counts);
    if (tooMany) stop(tooMany);
  };

  /** Delivers one record, or a batch through the sink's batch write, in one concurrency slot. */
  const dispatch = (readies: readonly ReadyRecord[], page: TrackedPage) => {
    const task = deliverReadies(ctx, readies)
      .then(
        (fates) => {
          for (const [i, fate] of fates.entries()) {
            const { item } = readies[i]!;
            recent.settled(item.key);
            settle(fate.state, page, item.hasKey ? item.key : null, fate, item.cursor);
          }
        },
        // The records stay in_flight in the ledger; their page never settles, so the checkpoint stays before
        // it and the next run reconciles them.
        (error: unknown) => stop(asFerryError(error)),
      )
      .finally(() => {
        for (const { item } of readies) recent.release(item.key);
        slots.release();
        inFlight.delete(task);
        observer.onInFlight?.(inFlight.size);
      });
    inFlight.add(task);
    observer.onInFlight?.(inFlight.size);
  };
  // A sink that writes batches (a file: one append and fsync) gets each chunk's ready records at once.
  const batchWrites = options.sink.sendBatch !== undefined;

  // Records are prepared (mapped) a chunk at a time so the chunk's in_flight marks share one transaction;
  // about as many as can be in flight now, so marked records wait little before their send.
  const chunkSize = () => Math.min(256, Math.max(32, slots.size()));
  let taken = 0;
  const sourceTotal = createSourceTotal({
    observer,
    resumed: checkpoint !== null,
    limit: options.limit,
    onMismatch: options.source.onTotalMismatch,
  });
  let cutShort = false;
  // Pages of this run, from 1: a source's checkpoint is its own, so the engine counts for its messages.
  let pageNumber = 0;

  try {
    const since = highWater?.since();
    // The sink prepares (fetches its token) while the first page travels, not after it.
    const pages = prefetchOne(
      options.source.readPages({
        from: checkpoint,
        signal: stopReading.signal,
        ...(since === undefined ? {} : { since }),
      }),
      () => options.sink.prepare?.(),
    );
    pageLoop: for await (const sourcePage of pages) {
      pageNumber++;
      sourceTotal.page(sourcePage);
      const page = tracker.open(pageNumber, sourcePage.next);
      const keyed = await Promise.all(
        sourcePage.records.map(async (record, index) => {
          const key = await safeKeyOf(options.mapper, record);
          const position = sourcePage.positions?.[index];
          const rejected = sourcePage.rejects?.get(index);
          const at = cursor ? cursorOf(record, cursor) : undefined;
          if (at !== undefined) page.cursorMax = laterCursor(page.cursorMax, at);
          return {
            record,
            key: key ?? contentKey(record),
            hasKey: key !== null,
            ...(position === undefined ? {} : { position }),
            ...(rejected === undefined ? {} : { rejected }),
            ...(at === undefined ? {} : { cursor: at }),
          };
        }),
      );
      const known = await ledger.getRecords(
        integration,
        keyed.map((r) => r.key),
      );
      for (let next = 0; next < keyed.length; ) {
        // A --limit may stop mid-page: the page then stays open, so the checkpoint stays before it.
        if (stopReading.signal.aborted || taken === options.limit) {
          cutShort = true;
          break pageLoop;
        }
        const chunk: PendingRecord[] = [];
        const size = chunkSize();
        while (chunk.length < size && next < keyed.length && taken !== options.limit) {
          const item = keyed[next]!;
          const { key, hasKey } = item;
          let previous = known.get(key);
          if (!recent.claim(key)) {
            if (comparesRepeats && hasKey) {
              // Its first copy is in this chunk, not yet sent: send the chunk first, then come back to it.
              if (chunk.some((pending) => pending.key === key)) break;
              await recent.released(key);
              recent.claimAgain(key);
              // What its first copy left in the ledger, so the repeat is compared with what was delivered.
              previous = (await ledger.getRecords(integration, [key])).get(key);
            } else {
              next++;
              taken++;
              counts.read++;
              observer.onRecordRead?.(pageNumber);
              tracker.add(page);
              // An exact duplicate in the same read (or one still in flight) yields one order; identical
              // records without a key share their content key, so they yield one dead letter.
              settle('skipped', page, hasKey ? key : null, {
                note: 'duplicate of an earlier record in this read',
              });
              continue;
            }
          }
          next++;
          taken++;
          counts.read++;
          observer.onRecordRead?.(pageNumber);
          tracker.add(page);
          chunk.push({ ...item, previous });
        }
        const prepared = await Promise.all(chunk.map((item) => prepareRecord(ctx, item)));
        const marks = prepared.flatMap((p) => (p.ready && !p.reconcile ? [p.mark] : []));
        if (marks.length > 0) await ledger.updateNow(integration, run.id, marks);
        const batch: ReadyRecord[] = [];
        for (const [i, p] of prepared.entries()) {
          if (!p.ready) {
            const { key, hasKey, cursor: recordCursor } = chunk[i]!;
            recent.settled(key);
            recent.release(key);
            settle(p.fate.state, page, hasKey ? key : null, p.fate, recordCursor);
            continue;
          }
          // A record to look up first goes on its own: its mark waits for the lookup's answer.
          if (batchWrites && !p.reconcile) {
            batch.push(p);
            continue;
          }
          await slots.acquire();
          if (stopReading.signal.aborted) {
            // Marked in_flight but never sent: the next run reconciles or resends it (with its key).
            slots.release();
            cutShort = true;
            break pageLoop;
          }
          dispatch([p], page);
        }
        if (batch.length > 0) {
          await slots.acquire();
          if (stopReading.signal.aborted) {
            slots.release();
            cutShort = true;
            break pageLoop;
          }
          dispatch(batch, page);
        }
      }
      tracker.close(page);
    }
  } catch (error) {
    stop(asFerryError(error));
  }

  await Promise.allSettled([...inFlight]);
  slots.dispose();
  await checkpoints.drained();
  await ledger.flush();

  if (!cutShort && fatal === undefined && !stopReading.signal.aborted) {
    fatal = sourceTotal.afterCompleteRead(counts.read);
  }

  const interrupted = options.stopSignal?.aborted === true && fatal === undefined;
  const status: RunStatus = fatal
    ? 'aborted'
    : interrupted
      ? 'interrupted'
      : counts.quarantined + counts.failed > 0
        ? 'completed_with_errors'
        : 'completed';
  const endedAt = clock().toISOString();
  return {
    runId: run.id,
    status,
    counts,
    startedAt: run.startedAt,
    endedAt,
    // null after a complete read: the next run starts over and skips what was delivered.
    checkpoint: checkpoints.current(),
    ...(fatal ? { error: fatal } : {}),
    recoveredRuns,
  };
}
