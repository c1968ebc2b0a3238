import type { Ledger, RunFilter, RunRow, RunStatus } from '../core/ledger-types.ts';
import type { RunReport } from '../observability/run-reporter.ts';
import { decodeCursor, encodeCursor, type Page } from './cursor.ts';

/** A run as listings show it: its row without the report, and the report's headline figures. */
export interface RunSummary {
  readonly id: string;
  readonly integration: string;
  readonly status: RunStatus;
  readonly startedAt: string;
  readonly endedAt: string | null;
  readonly counts: Readonly<Record<string, number>>;
  /** From the report; null while the run has none (running, or killed before it finished). */
  readonly durationMs: number | null;
  readonly ratePerSec: number | null;
  readonly retries: number | null;
  readonly rateLimited: number | null;
  /** New dead letters of the run. */
  readonly deadLetters: number | null;
}

/** Which runs to list, newest first, and from where. */
export interface RunQuery {
  readonly integration?: string;
  readonly status?: RunStatus;
  /** @default 20 */
  readonly limit?: number;
  /** From a previous page's nextCursor. */
  readonly cursor?: string;
}

const RUNS = 'runs';

/** Reads a report stored in the ledger, whatever ferry version wrote it. */
export function storedReport(run: Pick<RunRow, 'report'>): Partial<RunReport> | null {
  return typeof run.report === 'object' && run.report !== null ? (run.report as Partial<RunReport>) : null;
}

/** A run row as a summary: the row without its report, and the figures a list shows. */
export function summariseRun(run: RunRow): RunSummary {
  const report = storedReport(run);
  const num = (value: unknown) => (typeof value === 'number' ? value : null);
  return {
    id: run.id,
    integration: run.integration,
    status: run.status,
    startedAt: run.startedAt,
    endedAt: run.endedAt,
    counts: run.counts,
    durationMs: num(report?.durationMs),
    ratePerSec: num(report?.ratePerSec),
    retries: num(report?.retries),
    rateLimited: num(report?.rateLimited),
    deadLetters: num(report?.deadLetters?.total),
  };
}

/** One page of runs, newest first: what `ferry runs list` prints and `GET /api/runs` returns. */
export async function listRunsPage(
  ledger: Pick<Ledger, 'listRuns'>,
  query: RunQuery = {},
): Promise<Page<RunSummary>> {
  const limit = query.limit ?? 20;
  const filter: RunFilter = {
    ...(query.integration === undefined ? {} : { integration: query.integration }),
    ...(query.status === undefined ? {} : { status: query.status }),
    ...(query.cursor === undefined ? {} : { beforeId: decodeCursor(RUNS, query.cursor, 'string') }),
  };
  // One more than asked says whether another page follows, without counting.
  const rows = await ledger.listRuns({ ...filter, limit: limit + 1 });
  const items = rows.slice(0, limit).map(summariseRun);
  const last = items.at(-1);
  return { items, nextCursor: rows.length > limit && last ? encodeCursor(RUNS, last.id) : null };
}
