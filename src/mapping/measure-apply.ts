/**
 * Informal measurement, not a test: records per second of CompiledMapping.apply() on the flagship mapping,
 * with the JSONata interpreter alone and with the compiled subset. Run: npx node src/mapping/measure-apply.ts
 */
import { fileURLToPath } from 'node:url';
import { loadMapping } from './load-mapping.ts';
import type { CompiledMapping } from './mapping-types.ts';

const mappingFile = fileURLToPath(
  new URL('../../examples/customers-to-orders.mapping.yaml', import.meta.url),
);
const bindings = { firstMappedAt: '2024-05-01T12:34:56Z' };

/** Plausible customers with the usual mess: numeric ids and zips, padded emails, missing phones, one bad record in 20. */
function customers(count: number): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < count; i++) {
    const record: Record<string, unknown> = {
      customer_id: i % 3 === 0 ? 100_000 + i : `C-${i}`,
      first_name: i % 7 === 0 ? null : `  Ada\t${i % 5 === 0 ? ' Mary' : ''} `,
      last_name: `Lovelace-${i}`,
      email: i % 4 === 0 ? ` ada${i}@example.com\n` : `ada${i}@example.com`,
      address: {
        street: `${i} St James Sq`,
        city: 'London',
        state: 'LDN',
        zip: i % 2 === 0 ? 10_000 + i : `SW${i}`,
      },
    };
    if (i % 3 !== 0) record.phone = i % 6 === 1 ? '   ' : `+44 20 7946 ${String(i).padStart(4, '0')}`;
    if (i % 20 === 19) record.email = 'not an email';
    out.push(record);
  }
  return out;
}

async function measure(
  label: string,
  mapping: CompiledMapping,
  records: Record<string, unknown>[],
): Promise<void> {
  for (const record of records) await mapping.apply(record, bindings); // warm-up
  const rounds = 5;
  const rates: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const start = process.hrtime.bigint();
    for (const record of records) await mapping.apply(record, bindings);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    rates.push(records.length / seconds);
  }
  rates.sort((a, b) => a - b);
  const median = rates[Math.floor(rounds / 2)] ?? 0;
  console.log(
    `${label}: ${Math.round(median).toLocaleString('en')} records/s (median of ${rounds} rounds of ${records.length})`,
  );
}

const records = customers(20_000);
await measure('apply(), interpreter only', await loadMapping(mappingFile, { interpretOnly: true }), records);
await measure('apply(), compiled subset', await loadMapping(mappingFile), records);
