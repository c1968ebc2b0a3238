/**
 * Child process for the PostgreSQL crash and lock tests: opens the ledger at argv[2] (password in
 * PGPASSWORD), starts a run of integration `crash` and writes batches of record updates (and a dead letter
 * per batch) forever, printing `ack <n>` only after batch n's promises resolved. The test SIGKILLs it.
 */
import { openPostgresLedger } from './postgres-ledger.ts';

/** Updates per batch; every one is its own update() call in the same tick, so they share a transaction. */
export const BATCH_SIZE = 50;

const url = process.argv[2];
if (url !== undefined) {
  const ledger = await openPostgresLedger({ connectionString: url, password: process.env.PGPASSWORD });
  const run = await ledger.startRun('crash', new Date().toISOString());
  process.stdout.write(`run ${run.id}\n`);
  for (let batch = 0; ; batch++) {
    const writes: Promise<void>[] = [];
    for (let i = 0; i < BATCH_SIZE; i++) {
      writes.push(
        ledger.update('crash', run.id, [{ key: `b${batch}-r${i}`, state: 'delivered', attempts: batch }]),
      );
    }
    // One record updated in place every batch: a torn write would show as a counter behind its batch.
    writes.push(ledger.update('crash', run.id, [{ key: 'counter', state: 'in_flight', attempts: batch }]));
    writes.push(
      ledger.addDeadLetter({
        integration: 'crash',
        key: `b${batch}`,
        runId: run.id,
        state: 'failed',
        record: { batch },
        body: null,
        reasons: [{ code: 'test', message: `batch ${batch}` }],
      }),
    );
    await Promise.all(writes);
    process.stdout.write(`ack ${batch}\n`);
  }
}
