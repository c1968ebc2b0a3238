import { setTimeout as sleep } from 'node:timers/promises';
import { asFerryError, FerryError } from '../core/errors.ts';
import type { CursorValue, RunStatus } from '../core/ledger-types.ts';
import type { QueuedRecord, RunPages } from '../core/page-types.ts';
import { createCheckpointChain } from './checkpoint-chain.ts';
import type { RunCounts, RunOptions, RunResult } from './engine-types.ts';
import { createHighWater, cursorOf, laterCursor } from './high-water.ts';
import { createKeyPages } from './key-pages.ts';
import type { TrackedPage } from './page-tracker.ts';
import { prefetchOne } from './prefetch.ts';
import { createQuarantineWatch } from './quarantine-watch.ts';
import { contentKey } from './record-fate.ts';
import { newRunCounts } from './run-counts.ts';
import { safeKeyOf } from './safe-key.ts';
import { createSourceTotal } from './source-total.ts';

/** What reading for a cluster needs besides a run's options. */
export interface ReadOptions extends Omit<RunOptions, 'sink' | 'concurrency'> {
  /** The queue of the run's pages, once the run has its id. */
  readonly pages: (runId: string) => RunPages;
  /** The destination's hints the reader needs to decide how records are sent. */
  readonly sink: {
    readonly lookup?: unknown;
    readonly onChange?: string;
    readonly onDelete?: string;
    readonly lookupBeforeSend?: 'new_ledger' | 'always' | 'never';
  };
  /** How often the reader asks which pages settled. @default 100 */
  readonly pollMs?: number;
  /** Pages enqueued and not settled at most, besides three per live worker. @default 4 */
  readonly window?: number;
}

/**
 * Runs an integration as the reader of a cluster: reads the source page by page from its checkpoint, keys
 * each page's records and stores it in the work queue, and lets workers (any process, this one included)
 * send them. The checkpoint advances only past pages whose every record a worker settled, and whose earlier
 * pages settled too; the run's counts are the workers' outcomes. Resolves as runIntegration does.
 */
export async function readIntegration(options: ReadOptions): Promise<RunResult> {
  const { integration, ledger, observer = {}, clock = () => new Date() } = options;
  const pollMs = options.pollMs ?? 100;
  const recoveredRuns = await ledger.markCrashedRuns(integration);
  const run = await ledger.startRun(integration, clock().toISOString());
  observer.onRunStarted?.({ runId: run.id, startedAt: run.startedAt, recoveredRuns });
  const pages = options.pages(run.id);
  const counts: RunCounts = newRunCounts();
  const lookupBeforeSend = options.sink.lookupBeforeSend ?? 'new_ledger';
  const lookupUnknown =
    lookupBeforeSend === 'always' ||
    (lookupBeforeSend === 'new_ledger' && !(await ledger.hasReadToEnd(integration)));

  let fatal: FerryError | undefined;
  const stopReading = new AbortController();
  const stop = (error: FerryError) => {
    fatal ??= error;
    stopReading.abort();
  };
  options.stopSignal?.addEventListener('abort', () => stopReading.abort(), { once: true });
  try {
    // Pages an earlier run left unsettled: no process may send them while this run sends the same keys.
    await pages.retireEarlierPages();
  } catch (error) {
    stop(asFerryError(error));
  }

  const checkpoint = await ledger.getCheckpoint(integration);
  const cursor = options.source.incremental;
  const highWater = cursor ? createHighWater(cursor, await ledger.getHighWaterMark(integration)) : undefined;
  const comparesRepeats =
    cursor !== undefined ||
    (options.sink.onChange ?? 'skip') !== 'skip' ||
    (options.sink.onDelete ?? 'ignore') !== 'ignore';

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
  const quarantine = createQuarantineWatch(options.quarantineLimit);
  /** Pages enqueued and not finished, by their number. */
  const open = new Map<number, TrackedPage>();
  // The keys read recently and the page that had them: a repeat is marked a duplicate, or (a sync) its
  // page waits until the page with its first copy settled, so one key is never sent by two workers at once.
  const keyPages = createKeyPages(10_000);

  /** Takes in what workers settled since the last look: counts, events, checkpoint. */
  async function collect(): Promise<void> {
    let finished: Awaited<ReturnType<RunPages['finished']>>;
    try {
      finished = await pages.finished();
    } catch (error) {
      stop(asFerryError(error));
      return;
    }
    for (const result of finished.sort((a, b) => a.pageNo - b.pageNo)) {
      const page = open.get(result.pageNo);
      if (page === undefined) continue;
      open.delete(result.pageNo);
      if (result.status === 'cancelled') continue;
      if (result.status === 'failed') {
        stop(new FerryError(knownCode(result.error.code), result.error.message));
        continue;
      }
      if (result.retryFrom !== null) page.retryFrom = result.retryFrom;
      for (const outcome of result.outcomes) {
        counts[outcome.state]++;
        if (outcome.known && outcome.state === 'quarantined') counts.stillQuarantined++;
        if (outcome.known && outcome.state === 'failed') counts.stillFailed++;
        observer.onRecordSettled?.(outcome);
        const tooMany = quarantine.settled(outcome.state, outcome.reasons, counts);
        if (tooMany) stop(tooMany);
      }
      tracker.settle(page);
    }
  }

  let workers = 0;
  let workersCheckedAt = -Infinity;
  async function windowSize(): Promise<number> {
    if (performance.now() - workersCheckedAt > 2000) {
      workersCheckedAt = performance.now();
      workers = await pages.liveWorkers().catch(() => workers);
    }
    return (options.window ?? 4) + 3 * workers;
  }

  /** Takes in settled pages until `done` says so. */
  async function waitUntil(done: () => boolean | Promise<boolean>): Promise<void> {
    for (;;) {
      await collect();
      if (await done()) return;
      await sleep(pollMs);
    }
  }

  let taken = 0;
  const sourceTotal = createSourceTotal({
    observer,
    resumed: checkpoint !== null,
    limit: options.limit,
    onMismatch: options.source.onTotalMismatch,
  });
  let cutShort = false;
  let pageNumber = 0;

  try {
    if (fatal !== undefined) throw fatal;
    const since = highWater?.since();
    const source = prefetchOne(
      options.source.readPages({
        from: checkpoint,
        signal: stopReading.signal,
        ...(since === undefined ? {} : { since }),
      }),
    );
    for await (const sourcePage of source) {
      pageNumber++;
      sourceTotal.page(sourcePage);
      if (stopReading.signal.aborted) {
        cutShort = true;
        break;
      }
      const page = tracker.open(pageNumber, sourcePage.next);
      const room = options.limit === undefined ? Infinity : options.limit - taken;
      const records = sourcePage.records.slice(0, Math.max(0, room));
      const queued: QueuedRecord[] = [];
      let waitFor = 0;
      for (const [index, record] of records.entries()) {
        const key = await safeKeyOf(options.mapper, record);
        const position = sourcePage.positions?.[index];
        const rejected = sourcePage.rejects?.get(index);
        const at = cursor ? cursorOf(record, cursor) : undefined;
        if (at !== undefined) page.cursorMax = laterCursor(page.cursorMax, at);
        const itemKey = key ?? contentKey(record);
        const earlier = keyPages.seen(itemKey, pageNumber);
        // A repeat of a key an earlier page of this run holds: a duplicate, or, in a sync, compared with what
        // that page delivered once it settled.
        const duplicate =
          earlier !== undefined && earlier !== pageNumber && !(comparesRepeats && key !== null);
        if (earlier !== undefined && earlier !== pageNumber && !duplicate)
          waitFor = Math.max(waitFor, earlier);
        queued.push({
          record,
          key: itemKey,
          hasKey: key !== null,
          ...(position === undefined ? {} : { position }),
          ...(rejected === undefined ? {} : { rejected }),
          ...(at === undefined ? {} : { cursor: at as CursorValue }),
          ...(duplicate ? { duplicate: true } : {}),
        });
      }
      if (waitFor > 0) await waitUntil(() => !open.has(waitFor) || stopped());
      await waitUntil(async () => stopped() || open.size < (await windowSize()));
      if (stopped()) {
        cutShort = true;
        break;
      }
      await pages.enqueue({
        pageNo: pageNumber,
        records: queued,
        next: sourcePage.next,
        lookupUnknown,
        comparesRepeats,
      });
      open.set(pageNumber, page);
      tracker.add(page);
      taken += queued.length;
      counts.read += queued.length;
      for (let i = 0; i < queued.length; i++) observer.onRecordRead?.(pageNumber);
      // A --limit may stop mid-page: the page then stays open, so the checkpoint stays before it.
      if (queued.length < sourcePage.records.length) {
        cutShort = true;
        break;
      }
      tracker.close(page);
      if (taken === options.limit) {
        cutShort = true;
        break;
      }
    }
  } catch (error) {
    stop(asFerryError(error));
  }

  // A stop or an error leaves the pages nobody took yet to the next run. After a stop the pages being sent
  // are waited for (until the abort); after an error they are not: their workers settle them anyway.
  if (stopped()) await pages.cancelWaiting().catch(() => {});
  await waitUntil(
    () => open.size === 0 || fatal !== undefined || options.abortSignal?.aborted === true,
  ).catch(() => {});
  await checkpoints.drained();
  await ledger.flush();
  if (open.size === 0) await pages.close().catch(() => {});

  if (!cutShort && fatal === undefined && !stopReading.signal.aborted) {
    fatal = sourceTotal.afterCompleteRead(counts.read);
  }

  const interrupted = options.stopSignal?.aborted === true && fatal === undefined;
  const status: RunStatus = fatal
    ? 'aborted'
    : interrupted || open.size > 0
      ? 'interrupted'
      : counts.quarantined + counts.failed > 0
        ? 'completed_with_errors'
        : 'completed';
  return {
    runId: run.id,
    status,
    counts,
    startedAt: run.startedAt,
    endedAt: clock().toISOString(),
    checkpoint: checkpoints.current(),
    ...(fatal ? { error: fatal } : {}),
    recoveredRuns,
  };

  function stopped(): boolean {
    return stopReading.signal.aborted || fatal !== undefined;
  }
}

function knownCode(code: string): ConstructorParameters<typeof FerryError>[0] {
  return (/^FERRY_ERR_[A-Z_]+$/.test(code) ? code : 'FERRY_ERR_INTERNAL') as ConstructorParameters<
    typeof FerryError
  >[0];
}
