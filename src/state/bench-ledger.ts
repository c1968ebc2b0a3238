/**
 * Ledger throughput benchmark (not a test): `npx node src/state/bench-ledger.ts [records]`.
 * Measures record updates per second through the group commit in the patterns the engine uses.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteLedger, type SqliteLedger } from './sqlite-ledger.ts';

const records = Number(process.argv[2] ?? 100_000);

async function scenario(
  name: string,
  body: (ledger: SqliteLedger, runId: string) => Promise<number>,
): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-bench-'));
  const ledger = await openSqliteLedger(dir);
  const run = await ledger.startRun('bench', new Date().toISOString());
  const started = performance.now();
  const updates = await body(ledger, run.id);
  const seconds = (performance.now() - started) / 1000;
  const { batches } = ledger.stats();
  await ledger.close();
  await rm(dir, { recursive: true, force: true });
  console.log(
    `${name.padEnd(58)} ${Math.round(updates / seconds)
      .toLocaleString('en-US')
      .padStart(10)} updates/s  (${updates} updates, ${batches} transactions, ${seconds.toFixed(2)} s)`,
  );
}

/** Each worker moves its records through in_flight then delivered, awaiting each update like the engine. */
function workers(count: number) {
  return async (ledger: SqliteLedger, runId: string): Promise<number> => {
    let next = 0;
    const firstMappedAt = new Date().toISOString();
    async function worker(): Promise<void> {
      while (next < records) {
        const key = `customer-${next++}`;
        await ledger.update('bench', runId, [{ key, state: 'in_flight', attempts: 1, firstMappedAt }]);
        await ledger.update('bench', runId, [
          { key, state: 'delivered', bodyHash: 'abc123', lastError: null },
        ]);
      }
    }
    await Promise.all(Array.from({ length: count }, () => worker()));
    return records * 2;
  };
}

await scenario('all updates queued in one tick, one call each', async (ledger, runId) => {
  const pending: Promise<void>[] = [];
  for (let i = 0; i < records; i++) {
    pending.push(ledger.update('bench', runId, [{ key: `customer-${i}`, state: 'delivered', attempts: 1 }]));
  }
  await Promise.all(pending);
  return records;
});
await scenario('pages of 100 updates, awaited one page at a time', async (ledger, runId) => {
  for (let i = 0; i < records; i += 100) {
    const page = Array.from({ length: 100 }, (_, j) => ({
      key: `customer-${i + j}`,
      state: 'pending' as const,
    }));
    await ledger.update('bench', runId, page);
  }
  return records;
});
for (const count of [1, 16, 64]) {
  await scenario(`${count} workers, await per record (in_flight, delivered)`, workers(count));
}
