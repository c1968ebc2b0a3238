import type { RunCounts } from './engine-types.ts';

/** Counts of a run that has settled nothing yet. */
export function newRunCounts(): RunCounts {
  return {
    read: 0,
    delivered: 0,
    skipped: 0,
    quarantined: 0,
    failed: 0,
    stillQuarantined: 0,
    stillFailed: 0,
  };
}
