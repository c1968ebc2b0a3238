import type { Checkpoint, SourceConnector } from '../core/connector-types.ts';
import { asFerryError, type FerryError } from '../core/errors.ts';
import type { Ledger } from '../core/ledger-types.ts';
import type { RunObserver } from './engine-types.ts';
import type { HighWater } from './high-water.ts';
import { createPageTracker, type PageTracker } from './page-tracker.ts';

/** Options of createCheckpointChain. */
export interface CheckpointChainOptions {
  readonly ledger: Ledger;
  readonly integration: string;
  readonly runId: string;
  readonly source: Pick<SourceConnector, 'checkpointSaved'>;
  readonly highWater: HighWater | undefined;
  readonly observer: RunObserver;
  /** The checkpoint the run starts from. */
  readonly from: Checkpoint | null;
  /** Stops the run when a save fails. */
  readonly stop: (error: FerryError) => void;
}

/** The pages of a run, and the checkpoint saved past those that settled. */
export interface CheckpointChain {
  readonly tracker: PageTracker;
  /** The checkpoint saved last, or the one the run started from. */
  current(): Checkpoint | null;
  /** Resolves once every save queued so far ran: the run awaits it before it ends. */
  drained(): Promise<void>;
}

/**
 * Checkpoint saves run one after another in page order, each stored after the final states queued before
 * it. After a failed save none follows: the run stops, and the stored checkpoint stays before every page
 * not yet saved.
 */
export function createCheckpointChain(options: CheckpointChainOptions): CheckpointChain {
  const { ledger, integration, runId, highWater, observer } = options;
  let checkpoint = options.from;
  let saves = Promise.resolve();
  let failed = false;
  const tracker = createPageTracker(({ pageNumber, next, cursorMax, retryFrom }) => {
    highWater?.pageSettled(cursorMax, retryFrom);
    // Taken now, in page order: the chain below runs later, when more pages may have settled.
    const mark = highWater?.snapshot(next === null);
    saves = saves.then(async () => {
      if (failed) return;
      try {
        await ledger.saveCheckpoint(integration, next, runId, mark);
        await options.source.checkpointSaved?.(next);
      } catch (error) {
        failed = true;
        options.stop(asFerryError(error));
        return;
      }
      checkpoint = next;
      observer.onCheckpoint?.(pageNumber, next);
    });
  });
  return { tracker, current: () => checkpoint, drained: () => saves };
}
