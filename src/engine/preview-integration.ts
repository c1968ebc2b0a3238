import type { SinkConnector, SourceConnector } from '../core/connector-types.ts';
import type { Ledger, Reason } from '../core/ledger-types.ts';
import { redactValue } from '../core/secret-registry.ts';
import type { RecordMapper } from './engine-types.ts';
import { createHighWater } from './high-water.ts';
import { createRecentKeys } from './recent-keys.ts';
import { contentKey, refusedShape } from './record-fate.ts';
import { toSecondPrecision } from './timestamp.ts';

/** What a dry run found: nothing was sent and no state was written. */
export interface PreviewResult {
  read: number;
  wouldSend: number;
  /** Records a real run would skip: delivered by an earlier run (per the ledger), or repeated in the source. */
  wouldSkip: number;
  /** Of wouldSkip, those the ledger has as delivered. */
  deliveredBefore: number;
  /** Of wouldSkip, repeats of a record earlier in this read. */
  duplicates: number;
  quarantined: number;
  /** The first bodies that would be sent, redacted. */
  sampleBodies: Record<string, unknown>[];
  /** The first quarantined records' keys and reasons. */
  sampleQuarantined: { key: string | null; reasons: readonly Reason[] }[];
}

/**
 * Reads and maps like a run, for `ferry run --dry-run`: validates everything, sends nothing, writes no state.
 * With the integration's ledger it counts what a real run would skip, and maps with the first-mapped times
 * the ledger keeps, so the sample shows the bodies a real run would send.
 */
export async function previewIntegration(options: {
  source: SourceConnector;
  mapper: RecordMapper;
  /** The destination, for its check of a mapped value's shape (a WSDL's schema); nothing is sent to it. */
  sink?: Pick<SinkConnector, 'validate'>;
  /**
   * The ledger a real run would use, read only; absent when there is none yet. An incremental source then
   * reads from its high-water mark, as a real run would.
   */
  ledger?: Pick<Ledger, 'getRecords'> & Partial<Pick<Ledger, 'getHighWaterMark'>>;
  integration?: string;
  limit?: number;
  sampleSize?: number;
  signal?: AbortSignal;
  clock?: () => Date;
}): Promise<PreviewResult> {
  const sampleSize = options.sampleSize ?? 5;
  const now = toSecondPrecision((options.clock ?? (() => new Date()))());
  const result: PreviewResult = {
    read: 0,
    wouldSend: 0,
    wouldSkip: 0,
    deliveredBefore: 0,
    duplicates: 0,
    quarantined: 0,
    sampleBodies: [],
    sampleQuarantined: [],
  };
  // The same window as a run's: a run catches repeats further apart through the ledger it writes.
  const seen = createRecentKeys(10_000);
  const signal = options.signal ?? new AbortController().signal;
  const cursor = options.source.incremental;
  const stored =
    cursor && options.integration !== undefined
      ? ((await options.ledger?.getHighWaterMark?.(options.integration)) ?? null)
      : null;
  const since = cursor ? createHighWater(cursor, stored).since() : undefined;
  for await (const page of options.source.readPages({
    from: null,
    signal,
    ...(since === undefined ? {} : { since }),
  })) {
    const keyed = await Promise.all(
      page.records.map(async (record) => {
        const key = await options.mapper.keyOf(record).catch(() => ({ ok: false as const }));
        return { record, key: key.ok ? key.key : contentKey(record) };
      }),
    );
    const known =
      options.ledger && options.integration !== undefined
        ? await options.ledger.getRecords(
            options.integration,
            keyed.map((r) => r.key),
          )
        : new Map();
    for (const { record, key } of keyed) {
      if (options.limit !== undefined && result.read >= options.limit) return result;
      result.read++;
      if (!seen.claim(key)) {
        result.wouldSkip++;
        result.duplicates++;
        continue;
      }
      seen.settled(key);
      seen.release(key);
      const previous = known.get(key);
      if (previous?.state === 'delivered' || previous?.state === 'skipped') {
        result.wouldSkip++;
        result.deliveredBefore++;
        continue;
      }
      const applied = await options.mapper.apply(record, { firstMappedAt: previous?.firstMappedAt ?? now });
      const refused =
        applied.ok && options.sink ? refusedShape(options.sink, applied.body, 'create') : undefined;
      const mapped = refused ? { ok: false as const, key: applied.key, reasons: refused } : applied;
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
