import type { Ledger, RecordChange, RecordHistory } from '../core/ledger-types.ts';

/** A record's history grouped by the runs that changed it: what `ferry records show --json` prints. */
export interface RecordReport {
  readonly integration: string;
  readonly key: string;
  readonly state: string;
  readonly attempts: number;
  readonly firstMappedAt: string | null;
  readonly bodyHash: string | null;
  readonly updatedAt: string;
  /** Oldest first: each run that stored a state for the record, and the states it stored. */
  readonly runs: readonly {
    readonly runId: string;
    readonly status: string | null;
    readonly startedAt: string | null;
    readonly changes: readonly Omit<RecordChange, 'runId'>[];
  }[];
  readonly deadLetters: RecordHistory['deadLetters'];
}

/** Groups a record's history by run, with each run's status and start. */
export async function toRecordReport(
  history: RecordHistory,
  ledger: Pick<Ledger, 'getRun'>,
): Promise<RecordReport> {
  const runs: RecordReport['runs'][number][] = [];
  for (const { runId, ...change } of history.changes) {
    let run = runs.at(-1);
    if (run?.runId !== runId) {
      const row = await ledger.getRun(runId);
      run = { runId, status: row?.status ?? null, startedAt: row?.startedAt ?? null, changes: [] };
      runs.push(run);
    }
    (run.changes as Omit<RecordChange, 'runId'>[]).push(change);
  }
  const { record } = history;
  return {
    integration: history.integration,
    key: record.key,
    state: record.state,
    attempts: record.attempts,
    firstMappedAt: record.firstMappedAt,
    bodyHash: record.bodyHash,
    updatedAt: record.updatedAt,
    runs,
    deadLetters: history.deadLetters,
  };
}

/** Every integration's history of the key (or just one integration's), grouped by run. */
export async function recordReports(
  ledger: Pick<Ledger, 'recordHistory' | 'getRun'>,
  key: string,
  integration?: string,
): Promise<RecordReport[]> {
  const histories = await ledger.recordHistory(key, integration === undefined ? {} : { integration });
  const reports: RecordReport[] = [];
  for (const history of histories) reports.push(await toRecordReport(history, ledger));
  return reports;
}
