import type { RecordMapper } from './engine-types.ts';

/** A key expression that throws on a hostile record means "no key": the record is quarantined, not fatal. */
export async function safeKeyOf(mapper: RecordMapper, record: unknown): Promise<string | null> {
  try {
    const result = await mapper.keyOf(record);
    return result.ok ? result.key : null;
  } catch {
    return null;
  }
}
