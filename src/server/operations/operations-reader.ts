import { FerryError } from '../../core/errors.ts';
import type { DeadLetter, Ledger, Reason } from '../../core/ledger-types.ts';
import { redactValue } from '../../core/secret-registry.ts';
import type { Page } from '../../inspection/cursor.ts';
import { type DeadLetterQuery, listDeadLettersPage } from '../../inspection/dead-letters-page.ts';
import { findRun } from '../../inspection/find-run.ts';
import { type RecordReport, recordReports } from '../../inspection/record-report.ts';
import {
  listRunsPage,
  type RunQuery,
  type RunSummary,
  storedReport,
  summariseRun,
} from '../../inspection/runs-page.ts';
import { maskPersonalFields, maskPersonalText } from '../../observability/mask-personal-data.ts';
import type { RunReport } from '../../observability/run-reporter.ts';
import type { IntegrationControl, IntegrationStatus, RunProgress } from './operations-types.ts';

/** An integration with what the overview shows of it. */
export interface IntegrationView extends IntegrationStatus {
  readonly openDeadLetters: number;
  readonly live: RunProgress | null;
  readonly recentRuns: readonly RunSummary[];
}

/** A run with its report, live while it goes on. */
export interface RunDetail {
  readonly run: RunSummary;
  readonly report: RunReport | null;
  readonly live: boolean;
}

const RECENT_RUNS = 20;

/** Masks a reason's message (it may quote a value); codes and fields stay as they are. */
function maskReason(reason: Reason): Reason {
  return { ...reason, message: maskPersonalText(reason.message) };
}

/** A dead letter as shown: personal data masked unless `unmask`, secrets masked always. */
export function showLetter(letter: DeadLetter, unmask: boolean): DeadLetter {
  const safe = redactValue(letter);
  if (unmask) return safe;
  return {
    ...safe,
    record: maskPersonalFields(safe.record),
    body: maskPersonalFields(safe.body),
    reasons: safe.reasons.map(maskReason),
  };
}

function showRecordReport(report: RecordReport, unmask: boolean): RecordReport {
  const safe = redactValue(report);
  if (unmask) return safe;
  return {
    ...safe,
    runs: safe.runs.map((run) => ({
      ...run,
      changes: run.changes.map((c) => ({
        ...c,
        reason: c.reason === null ? null : maskPersonalText(c.reason),
      })),
    })),
    deadLetters: safe.deadLetters.map((l) => showLetter(l, false)),
  };
}

/** Live figures of a run from its report as it stands. */
export function progressOf(integration: string, report: RunReport): RunProgress {
  return {
    integration,
    runId: report.runId,
    counts: report.counts,
    retries: report.retries,
    rateLimited: report.rateLimited,
    ratePerSec: report.ratePerSec,
  };
}

/**
 * What the API and the pages read, read once the same way: both show the same figures, and masking and
 * secret redaction happen here, before anything is rendered or serialised.
 */
export function createOperationsReader(ledger: Ledger, control: IntegrationControl) {
  async function view(status: IntegrationStatus): Promise<IntegrationView> {
    const [openDeadLetters, runs] = await Promise.all([
      ledger.countDeadLetters({ integration: status.name }),
      ledger.listRuns({ integration: status.name, limit: RECENT_RUNS }),
    ]);
    const report = status.currentRunId ? control.liveReport(status.currentRunId) : undefined;
    return redactValue({
      ...status,
      openDeadLetters,
      live: report ? progressOf(status.name, report) : null,
      recentRuns: runs.map(summariseRun),
    });
  }

  function status(name: string): IntegrationStatus {
    const found = control.get(name);
    if (!found) throw new FerryError('FERRY_ERR_NOT_FOUND', `no integration ${name} on this server`);
    return found;
  }

  return {
    status,
    async integrations(): Promise<IntegrationView[]> {
      return Promise.all(control.list().map(view));
    },
    async integration(name: string): Promise<IntegrationView> {
      return view(status(name));
    },
    async runs(query: RunQuery): Promise<Page<RunSummary>> {
      return redactValue(await listRunsPage(ledger, query));
    },
    async run(id: string): Promise<RunDetail> {
      const row = await findRun(ledger, id, 'the ledger');
      const live = row.status === 'running' ? control.liveReport(row.id) : undefined;
      const report = live ?? (storedReport(row) as RunReport | null);
      const summary = summariseRun(live ? { ...row, counts: live.counts, report: live } : row);
      return redactValue({ run: summary, report, live: live !== undefined });
    },
    async deadLetters(query: DeadLetterQuery, unmask: boolean) {
      const page = await listDeadLettersPage(ledger, query);
      return { ...page, items: page.items.map((l) => showLetter(l, unmask)), masked: !unmask };
    },
    async deadLetter(id: number, unmask: boolean): Promise<DeadLetter> {
      const letter = await ledger.getDeadLetter(id);
      if (!letter) throw new FerryError('FERRY_ERR_NOT_FOUND', `no dead letter ${id} in the ledger`);
      return showLetter(letter, unmask);
    },
    replay(id: string) {
      const replay = control.getReplay(id);
      return replay && redactValue(replay);
    },
    async records(key: string, integration: string | undefined, unmask: boolean): Promise<RecordReport[]> {
      const reports = await recordReports(ledger, key, integration);
      return reports.map((r) => showRecordReport(r, unmask));
    },
  };
}

/** The reader the API and pages share. */
export type OperationsReader = ReturnType<typeof createOperationsReader>;
