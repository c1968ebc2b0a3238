import type { SourceConnector } from '../core/connector-types.ts';
import type { Reason } from '../core/ledger-types.ts';
import { redactValue } from '../core/secret-registry.ts';
import type { RecordMapper } from './engine-types.ts';
import { toSecondPrecision } from './timestamp.ts';

/** What a dry run found: nothing was sent and no state was written. */
export interface PreviewResult {
  read: number;
  wouldSend: number;
  quarantined: number;
  /** The first bodies that would be sent, redacted. */
  sampleBodies: Record<string, unknown>[];
  /** The first quarantined records' keys and reasons. */
  sampleQuarantined: { key: string | null; reasons: readonly Reason[] }[];
}

/** Reads and maps like a run, for `ferry run --dry-run`: validates everything, sends nothing, writes no state. */
export async function previewIntegration(options: {
  source: SourceConnector;
  mapper: RecordMapper;
  limit?: number;
  sampleSize?: number;
  signal?: AbortSignal;
  clock?: () => Date;
}): Promise<PreviewResult> {
  const sampleSize = options.sampleSize ?? 5;
  const firstMappedAt = toSecondPrecision((options.clock ?? (() => new Date()))());
  const result: PreviewResult = {
    read: 0,
    wouldSend: 0,
    quarantined: 0,
    sampleBodies: [],
    sampleQuarantined: [],
  };
  const signal = options.signal ?? new AbortController().signal;
  for await (const page of options.source.readPages({ from: null, signal })) {
    for (const record of page.records) {
      if (options.limit !== undefined && result.read >= options.limit) return result;
      result.read++;
      const mapped = await options.mapper.apply(record, { firstMappedAt });
      if (mapped.ok) {
        result.wouldSend++;
        if (result.sampleBodies.length < sampleSize) result.sampleBodies.push(redactValue(mapped.body));
      } else {
        result.quarantined++;
        if (result.sampleQuarantined.length < sampleSize) {
          result.sampleQuarantined.push({
            key: mapped.key,
            reasons: mapped.reasons.map((r) => redactValue(r)),
          });
        }
      }
    }
  }
  return result;
}
