import { FerryError } from '../core/errors.ts';
import type { Reason } from '../core/ledger-types.ts';
import type { FinalState, QuarantineLimit, RunCounts } from './engine-types.ts';

/** Watches the share of quarantined records as they settle. */
export interface QuarantineWatch {
  /** Counts one settled record; returns the error to stop the run with, once, when the limit is passed. */
  settled(
    state: FinalState,
    reasons: readonly Reason[] | undefined,
    counts: RunCounts,
  ): FerryError | undefined;
}

// Reasons are only summarised in the message; a bounded tally keeps a hostile source from growing it.
const MAX_REASON_KEYS = 100;

/**
 * Creates the watch behind options.max_quarantine_ratio: when most records fail their input checks, the
 * mapping or the source has changed shape, and going on would only fill the dead-letter store.
 */
export function createQuarantineWatch(limit: QuarantineLimit | undefined): QuarantineWatch {
  const byReason = new Map<string, number>();
  let tripped = false;
  return {
    settled(state, reasons, counts) {
      if (!limit || tripped || limit.maxRatio >= 1) return undefined;
      if (state === 'quarantined') {
        for (const label of new Set((reasons ?? []).map(reasonLabel))) {
          if (byReason.has(label) || byReason.size < MAX_REASON_KEYS) {
            byReason.set(label, (byReason.get(label) ?? 0) + 1);
          }
        }
      }
      const settled = counts.delivered + counts.skipped + counts.quarantined + counts.failed;
      if (settled < limit.minSample || counts.quarantined / settled <= limit.maxRatio) return undefined;
      tripped = true;
      const top = [...byReason]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 3)
        .map(([label, count]) => `${label} (${count})`);
      const percent = (ratio: number) => `${Math.round(ratio * 100)}%`;
      return new FerryError(
        'FERRY_ERR_QUARANTINE_RATIO',
        `stopped early: ${counts.quarantined} of the ${settled} records settled so far were quarantined ` +
          `(${percent(counts.quarantined / settled)}, more than options.max_quarantine_ratio ` +
          `${limit.maxRatio}); the mapping or the source has probably changed shape. ` +
          `Most common: ${top.join(', ')}. See \`ferry dlq list\`; if this is expected, raise ` +
          'options.max_quarantine_ratio (1 turns the check off)',
        {
          details: {
            quarantined: counts.quarantined,
            settled,
            maxRatio: limit.maxRatio,
            minSample: limit.minSample,
            topReasons: Object.fromEntries([...byReason].sort((a, b) => b[1] - a[1]).slice(0, 10)),
          },
        },
      );
    },
  };
}

function reasonLabel(reason: Reason): string {
  return reason.field ? `${reason.field}: ${reason.code}` : reason.code;
}
