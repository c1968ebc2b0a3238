import type { ConcurrencyLimit } from '../core/concurrency-limit.ts';
import type { SinkConnector } from '../core/connector-types.ts';
import type { DeadLetter, Ledger, RecordRow } from '../core/ledger-types.ts';
import type { FinalState, RecordMapper, RunResult } from './engine-types.ts';
import { type Fate, settleRecord } from './record-fate.ts';
import { newRunCounts } from './run-counts.ts';
import { createSlots } from './slots.ts';

/** The fate of one replayed dead letter. */
export interface ReplayOutcome {
  readonly id: number;
  readonly key: string;
  readonly state: FinalState;
  readonly fate: Fate;
}

/**
 * Re-maps and resends dead letters (after the mapping or the data was fixed) as a run of its own, so the
 * audit trail shows it. With a lookup, each record is looked up first, and one already at the destination
 * counts as delivered; a body that differs from the one its key was used with goes under a new key
 * generation. A letter whose record now arrives (or had arrived) is marked resolved; one that fails again
 * stays, with its reasons brought up to date.
 */
export async function replayDeadLetters(options: {
  integration: string;
  ledger: Ledger;
  sink: SinkConnector;
  mapper: RecordMapper;
  /** The letters a page at a time, so a million of them never sit in memory together. */
  pages: AsyncIterable<readonly DeadLetter[]> | Iterable<readonly DeadLetter[]>;
  concurrency: number | ConcurrencyLimit;
  /** Told each letter's fate as it settles. */
  onOutcome?: (outcome: ReplayOutcome) => void;
  /** Told the run's id once the ledger gave it one. */
  onRunStarted?: (run: { readonly runId: string; readonly startedAt: string }) => void;
  /** Aborting it takes no more letters; those being sent settle, and the run ends `interrupted`. */
  stopSignal?: AbortSignal;
  clock?: () => Date;
}): Promise<{ result: Omit<RunResult, 'checkpoint' | 'recoveredRuns'> }> {
  const { ledger, integration } = options;
  const clock = options.clock ?? (() => new Date());
  const run = await ledger.startRun(integration, clock().toISOString());
  options.onRunStarted?.({ runId: run.id, startedAt: run.startedAt });
  let ledgerError: unknown;
  const ctx = {
    integration,
    runId: run.id,
    ledger,
    sink: options.sink,
    mapper: options.mapper,
    clock,
    // An earlier attempt may have stored it (an unclear outcome, or a run recorded elsewhere).
    lookupFirst: true,
    // A record delivered since its letter was written holds a newer version than the letter's.
    replay: true,
    onLedgerError: (error: unknown) => {
      ledgerError ??= error;
    },
  };
  const slots = createSlots(options.concurrency);
  const counts = newRunCounts();
  const replayOne = async (letter: DeadLetter, previous: RecordRow | undefined): Promise<void> => {
    try {
      counts.read++;
      const fate = await settleRecord(ctx, {
        record: letter.record,
        key: letter.key,
        hasKey: !letter.key.startsWith('nokey:'),
        previous,
      });
      counts[fate.state]++;
      if (fate.state === 'delivered' || fate.state === 'skipped')
        await ledger.resolveDeadLetter(letter.id, clock().toISOString());
      options.onOutcome?.({ id: letter.id, key: letter.key, state: fate.state, fate });
    } finally {
      slots.release();
    }
  };
  const inFlight = new Set<Promise<void>>();
  const stopped = () => options.stopSignal?.aborted === true;
  pages: for await (const page of options.pages) {
    if (stopped()) break;
    const known = await ledger.getRecords(
      integration,
      page.map((l) => l.key),
    );
    for (const letter of page) {
      await slots.acquire();
      if (stopped()) {
        slots.release();
        break pages;
      }
      const task = replayOne(letter, known.get(letter.key)).finally(() => inFlight.delete(task));
      inFlight.add(task);
    }
  }
  await Promise.all(inFlight);
  slots.dispose();
  await ledger.flush();
  if (ledgerError !== undefined) throw ledgerError;
  const status = stopped()
    ? 'interrupted'
    : counts.quarantined + counts.failed > 0
      ? 'completed_with_errors'
      : 'completed';
  const endedAt = clock().toISOString();
  await ledger.finishRun(run.id, status, { ...counts }, { replay: true, letters: counts.read, counts });
  return { result: { runId: run.id, status, counts, startedAt: run.startedAt, endedAt } };
}
