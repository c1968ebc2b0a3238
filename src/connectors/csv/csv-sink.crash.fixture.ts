/**
 * Child process for the kill -9 test: appends batches of orders through the CSV sink, printing
 * `inflight <first> <last>` before each batch is handed to the sink (as the engine marks a batch in flight
 * durably before it sends) and `ack <last>` once the sink reported it delivered. The test SIGKILLs it:
 * `run` goes on forever, so the kill lands wherever the writer is; after `at` batches, `hold` stops right
 * after the sink reported a batch written and before it is acknowledged (the window between writing and
 * settling), and `tear` writes a batch's first rows and half a row by hand, as a crash mid-write would
 * leave them. Both then print `held` and wait to be killed.
 */
import { appendFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { OutgoingRecord } from '../../core/connector-types.ts';
import { fileTestContext } from '../files/test-support.ts';
import { csvSink } from './sink-spec.ts';

/** Orders per batch. */
export const BATCH = 500;

/** The order the fixture and the test write for an id; quotes and line breaks make torn rows hard. */
export function crashOrder(id: number): OutgoingRecord {
  return {
    key: String(id),
    idempotencyKey: `k${id}`,
    value: { orderId: `ORD-${id}`, note: `order "${id}",\nsecond line`, total: id * 3 },
  };
}

/** The sink both sides use. */
export const crashSinkOptions = { path: 'orders-{n}.csv', key_column: 'orderId', rotate_bytes: '200kb' };

/** How the kill is set up. */
export type CrashMode = 'run' | 'hold' | 'tear';

const [dir, firstText, mode, atText] = process.argv.slice(2);
if (dir !== undefined && firstText !== undefined) {
  const sink = await csvSink.create(csvSink.options.parse(crashSinkOptions), fileTestContext(dir));
  const at = Number(atText ?? 0);
  for (let first = Number(firstText), batch = 0; ; first += BATCH, batch++) {
    const last = first + BATCH - 1;
    const records = Array.from({ length: BATCH }, (_, i) => crashOrder(first + i));
    process.stdout.write(`inflight ${first} ${last}\n`);
    if (mode === 'tear' && batch === at) {
      const files = (await readdir(dir)).filter((name) => /^orders-\d+\.csv$/.test(name));
      const current = files.sort((a, b) => Number(a.match(/\d+/)![0]) - Number(b.match(/\d+/)![0])).at(-1)!;
      let text = '';
      for (let id = first; id < first + BATCH / 2; id++)
        text += `ORD-${id},"order ""${id}"",\nsecond line",${id * 3}\n`;
      text += `ORD-${first + BATCH / 2},"order ""${first + BATCH / 2}"",\n`;
      await appendFile(join(dir, current), text);
      process.stdout.write('held\n');
      setInterval(() => undefined, 60_000);
      break;
    }
    await sink.sendBatch!(records);
    if (mode === 'hold' && batch === at) {
      process.stdout.write('held\n');
      setInterval(() => undefined, 60_000);
      break;
    }
    process.stdout.write(`ack ${last}\n`);
  }
}
