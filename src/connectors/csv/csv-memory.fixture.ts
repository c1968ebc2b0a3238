/**
 * Child process for the memory test (run with --expose-gc): streams a million rows through the CSV
 * source, then the CSV sink, then builds the sink's lookup index, and prints the heap (and typed-array
 * memory) after a full GC at the start and at its highest, as JSON lines the test reads.
 */

import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import type { OutgoingRecord } from '../../core/connector-types.ts';
import { fileTestContext } from '../files/test-support.ts';
import { csvSink } from './sink-spec.ts';
import { csvSource } from './source-spec.ts';

const [dir, countText] = process.argv.slice(2);
const gc = (globalThis as { gc?: () => void }).gc;
if (dir === undefined || countText === undefined || gc === undefined) {
  throw new Error('usage: node --expose-gc csv-memory.fixture.ts <dir> <rows>');
}
const count = Number(countText);

function measure(): { heap: number; arrays: number } {
  gc!();
  const usage = process.memoryUsage();
  return { heap: usage.heapUsed, arrays: usage.arrayBuffers };
}

function report(
  phase: string,
  start: { heap: number; arrays: number },
  peak: { heap: number; arrays: number },
) {
  process.stdout.write(
    `${JSON.stringify({ phase, heapGrowth: peak.heap - start.heap, arrayGrowth: peak.arrays - start.arrays })}\n`,
  );
}

function higher(a: { heap: number; arrays: number }, b: { heap: number; arrays: number }) {
  return { heap: Math.max(a.heap, b.heap), arrays: Math.max(a.arrays, b.arrays) };
}

// The input: a million customers, written as a stream.
const input = createWriteStream(join(dir, 'customers.csv'));
input.write('customer_id,first_name,last_name,email,street,city,state,zip,phone\n');
for (let id = 1; id <= count; id++) {
  const line = `${id},Ann,"Lee, Jr.",ann${id}@example.com,${id} Main St,Springfield,IL,62701,555-0100\n`;
  if (!input.write(line)) await once(input, 'drain');
}
input.end();
await once(input, 'finish');

const context = fileTestContext(dir);
const signal = new AbortController().signal;

// 1. Read every row, page by page, as the engine does (and drop each page once handled).
{
  const source = await csvSource.create(csvSource.options.parse({ path: 'customers.csv' }), context);
  let start: { heap: number; arrays: number } | undefined;
  let peak = { heap: 0, arrays: 0 };
  let pages = 0;
  let read = 0;
  for await (const page of source.readPages({ from: null, signal })) {
    read += page.records.length;
    // The first pages warm up parser and JIT; growth is measured from there.
    if (++pages === 10) start = measure();
    else if (start && pages % 100 === 0) peak = higher(peak, measure());
  }
  await source.close();
  peak = higher(peak, measure());
  if (read !== count) throw new Error(`read ${read} rows, expected ${count}`);
  report('source', start!, peak);
}

// 2. Write every row to the sink in batches, as the engine does.
const sink = await csvSink.create(
  csvSink.options.parse({ path: 'orders.csv', key_column: 'orderId' }),
  context,
);
{
  let start: { heap: number; arrays: number } | undefined;
  let peak = { heap: 0, arrays: 0 };
  for (let from = 1, batch = 0; from <= count; from += 1000, batch++) {
    const records: OutgoingRecord[] = [];
    for (let id = from; id < from + 1000 && id <= count; id++) {
      records.push({
        key: String(id),
        idempotencyKey: `k${id}`,
        value: {
          orderId: `ORD-${id}`,
          customerInfo: { name: 'Ann Lee', contactEmail: `ann${id}@example.com` },
        },
      });
    }
    await sink.sendBatch!(records);
    if (batch === 10) start = measure();
    else if (start && batch % 100 === 0) peak = higher(peak, measure());
  }
  peak = higher(peak, measure());
  report('sink', start!, peak);
}

// 3. A lookup after a crash builds the index over all the rows.
{
  const start = measure();
  const last = {
    key: String(count),
    idempotencyKey: 'x',
    value: {
      orderId: `ORD-${count}`,
      customerInfo: { name: 'Ann Lee', contactEmail: `ann${count}@example.com` },
    },
  };
  const found = await sink.lookup!(last);
  if (!found.found || !found.matches) throw new Error(`lookup of the last row: ${JSON.stringify(found)}`);
  report('index', start, measure());
}
await sink.close();
