import { z } from 'zod';
import { size } from '../../config/field-types.ts';
import { createFileSink } from '../files/file-sink.ts';
import { fileSinkShape, keyOption, sinkTemplate } from '../files/sink-options.ts';
import { defineSink } from '../spec.ts';
import { ndjsonRowFormat } from './ndjson-rows.ts';

/** The options of `type: ndjson` as a destination. */
export const ndjsonSinkOptions = z.strictObject({
  ...fileSinkShape(),
  key_field: keyOption('field'),
  max_record_bytes: size().prefault('1MB').describe('Longest line read back by a lookup.'),
});

/** `type: ndjson` as a destination: one JSON line per record appended to a local file, exactly once. */
export const ndjsonSink = defineSink({
  type: 'ndjson',
  options: ndjsonSinkOptions,
  docs: {
    title: 'NDJSON file destination',
    summary: 'Appends each mapped record as one JSON line of a local file, exactly once, rotating by size.',
    description: `Appends each mapped value as one line of JSON (NDJSON, JSON Lines) to a local file.

**Exactly once across kill -9**, as the CSV destination: a batch is appended with one write and one
\`fdatasync\` before it is reported delivered; after a crash, each record left in flight is looked up by
its key field and settled without a second line when it is there; a line torn by a crash mid-write (no
line end) is cut off when the file is next opened (its bytes kept in \`<file>.torn\`), so the record is
written again whole.

**The key field** identifies a record: by default ferry adds \`"ferry_key"\` (first) holding the record
key; set \`key_field\` to a unique field of the mapped value (\`orderId\`, or a dot path) to write the value
as it is. Lookups compare every field of the value except the mapping's \`compare: false\` ones. Their
index is built on first use (after a crash, or on a new ledger) from one pass over the files, as 64-bit
hashes and offsets: a normal run holds none, and a million lines never have their text held.

**Rotation.** With \`rotate_bytes\` and \`{n}\` in the path (\`orders-{n}.ndjson\`), the next numbered file
is started once a line would take the current one past the size.`,
    example: `destination:
  type: ndjson
  path: \${DEST_FILE}          # out/orders.ndjson, or out/orders-{n}.ndjson with rotate_bytes
  key_field: orderId
  rotate_bytes: 100MB`,
  },
  create(options, context) {
    const template = sinkTemplate(options.path, context.baseDir, options.rotate_bytes);
    return createFileSink({
      template,
      ...(options.rotate_bytes === undefined ? {} : { rotateBytes: options.rotate_bytes }),
      concurrency: context.concurrency ?? options.concurrency,
      ignoreFields: context.ignoreFields,
      format: ndjsonRowFormat({ keyField: options.key_field, maxRecordBytes: options.max_record_bytes }),
    });
  },
});
