import type { ErrorKind } from '../core/error-codes.ts';
import type { RunStatus } from '../core/ledger-types.ts';

/** ferry's exit codes, documented in the README. */
export const ExitCode = {
  /** Every record was delivered or skipped. */
  ok: 0,
  /** A record was newly quarantined or failed (see `ferry dlq list`); known ones alone never give it. */
  recordsNotDelivered: 1,
  /** Usage or configuration error: nothing was run. */
  usage: 2,
  /** The run was aborted: source unreachable, credentials refused, destination down past the breaker. */
  aborted: 3,
  /** Stopped by SIGINT; run the same command again to resume. */
  interrupted: 130,
  /** Stopped by SIGTERM; run the same command again to resume. */
  terminated: 143,
} as const;

/** The exit code for an error that ended a command before or during a run. */
export function exitCodeForError(kind: ErrorKind): number {
  if (kind === 'config') return ExitCode.usage;
  if (kind === 'record') return ExitCode.recordsNotDelivered;
  return ExitCode.aborted;
}

/**
 * The exit code for a finished run. `newProblems` counts the quarantined and failed records that were not
 * already known (same content, dead letter still open): a scheduled job alerts on what is new, once.
 */
export function exitCodeForRun(
  status: RunStatus,
  signal?: 'SIGINT' | 'SIGTERM',
  newProblems?: number,
): number {
  switch (status) {
    case 'completed':
      return ExitCode.ok;
    case 'completed_with_errors':
      return newProblems === 0 ? ExitCode.ok : ExitCode.recordsNotDelivered;
    case 'interrupted':
      return signal === 'SIGTERM' ? ExitCode.terminated : ExitCode.interrupted;
    default:
      return ExitCode.aborted;
  }
}
