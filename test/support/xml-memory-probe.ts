// Reads one generated XML document of N customers through the REST source (format: xml) with ferry's own
// HTTP stack, and prints the largest heap plus buffer memory seen after a full GC while it read. Run by
// test/xml-source-memory.e2e.test.ts as `node --expose-gc xml-memory-probe.ts N`.
import { createServer } from 'node:http';
import { Readable } from 'node:stream';
import { restSource } from '../../src/connectors/rest/source-spec.ts';
import { connectorContext } from './connector-context.ts';

const count = Number(process.argv[2]);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

function* document(): Generator<string> {
  yield '<?xml version="1.0" encoding="UTF-8"?><Customers xmlns="urn:customers">';
  for (let from = 0; from < count; from += 500) {
    const parts: string[] = [];
    for (let i = from; i < Math.min(count, from + 500); i++)
      parts.push(
        `<Customer id="${i + 1}"><FirstName>Customer ${i + 1}</FirstName><Email>c${i + 1}@example.com</Email><Address><Street>${i} Main Street</Street><City>Springfield</City><Zip>${10000 + (i % 90000)}</Zip></Address><Phone>+1 555 ${String(i).padStart(7, '0')}</Phone></Customer>`,
      );
    yield parts.join('');
  }
  yield '</Customers>';
}

const server = createServer((_request, response) => {
  response.writeHead(200, { 'content-type': 'application/xml; charset=utf-8' });
  Readable.from(document(), { objectMode: false }).pipe(response);
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/customers.xml`;

const context = connectorContext();
const source = await restSource.create(
  restSource.options.parse({
    url,
    format: 'xml',
    records_path: '/Customers/Customer',
    xml: { namespace: 'urn:customers', batch_size: 500 },
    pagination: { type: 'none' },
    max_response_bytes: '2GB',
  }),
  context,
);
const measure = () => {
  gc();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
};
let peak = 0;
let records = 0;
let pages = 0;
for await (const page of source.readPages({ from: null, signal: new AbortController().signal })) {
  records += page.records.length;
  if (++pages % 20 === 0) peak = Math.max(peak, measure());
}
peak = Math.max(peak, measure());
await context.close();
server.close();
process.stdout.write(`${JSON.stringify({ records, pages, peakMb: peak / 1024 / 1024 })}\n`);
