import type { DeadLetter, Ledger } from '../core/ledger-types.ts';
import type { RunResult } from '../engine/engine-types.ts';
import { type ReplayOutcome, replayDeadLetters } from '../engine/replay-dead-letters.ts';
import type { IntegrationConfig } from '../integration/integration-schema.ts';
import { buildIntegration } from './build-integration.ts';

/** Which dead letters a replay takes. */
export interface ReplayJobOptions {
  readonly ledger: Ledger;
  /** Only these dead letter ids. */
  readonly ids?: readonly number[];
  /** Only quarantined, or only failed, ones. */
  readonly kind?: 'quarantined' | 'failed';
  /** Told each letter's fate as it settles. */
  readonly onOutcome?: (outcome: ReplayOutcome) => void;
  /** Told the replay's run id once the ledger gave it one. */
  readonly onRunStarted?: (run: { readonly runId: string; readonly startedAt: string }) => void;
  /** Aborting it takes no more letters; those being sent settle (`ferry serve`'s stop). */
  readonly stopSignal?: AbortSignal;
}

const REPLAY_PAGE = 500;

/**
 * Replays an integration's open dead letters through its current mapping and destination, as a run of
 * its own: `ferry dlq replay` and the server's replay action call it. Resolves with null when
 * nothing was there to replay.
 */
export async function replayJob(
  config: IntegrationConfig,
  options: ReplayJobOptions,
): Promise<Omit<RunResult, 'checkpoint' | 'recoveredRuns'> | null> {
  const { ledger } = options;
  const wanted = (letter: DeadLetter) =>
    (!options.ids || options.ids.includes(letter.id)) && (!options.kind || letter.state === options.kind);
  const pages = deadLetterPages(ledger, config.name, wanted);
  const first = await pages.next();
  if (first.done) return null;
  const built = await buildIntegration(config);
  try {
    const { result } = await replayDeadLetters({
      integration: config.name,
      ledger,
      sink: built.sink,
      mapper: built.mapping,
      pages: (async function* () {
        yield first.value;
        yield* pages;
      })(),
      concurrency: built.concurrency,
      ...(options.onOutcome ? { onOutcome: options.onOutcome } : {}),
      ...(options.onRunStarted ? { onRunStarted: options.onRunStarted } : {}),
      ...(options.stopSignal ? { stopSignal: options.stopSignal } : {}),
    });
    return result;
  } finally {
    await built.close();
  }
}

/** The integration's open dead letters that `wanted` keeps, a page at a time, newest first. */
async function* deadLetterPages(
  ledger: Pick<Ledger, 'listDeadLetters'>,
  integration: string,
  wanted: (letter: DeadLetter) => boolean,
): AsyncGenerator<DeadLetter[]> {
  let beforeId: number | undefined;
  for (;;) {
    const page = await ledger.listDeadLetters({
      integration,
      limit: REPLAY_PAGE,
      ...(beforeId === undefined ? {} : { beforeId }),
    });
    if (page.length === 0) return;
    beforeId = page.at(-1)!.id;
    const kept = page.filter(wanted);
    if (kept.length > 0) yield kept;
  }
}
