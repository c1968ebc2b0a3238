import { basename } from 'node:path';
import { z } from 'zod';
import { size } from '../../config/field-types.ts';
import { createFileSink } from '../files/file-sink.ts';
import { fileSinkShape, keyOption, sinkTemplate } from '../files/sink-options.ts';
import { defineSink } from '../spec.ts';
import { csvRowFormat } from './csv-rows.ts';

const singleCharacter = (what: string) =>
  z
    .string()
    .length(1, { message: `expected one character as the ${what} ("\\t" for a tab)` })
    .describe(`The ${what}, one character.`);

/** The options of `type: csv` as a destination. */
export const csvSinkOptions = z
  .strictObject({
    ...fileSinkShape(),
    columns: z
      .array(z.string().min(1))
      .min(1)
      .refine((columns) => new Set(columns).size === columns.length, { message: 'a column is listed twice' })
      .optional()
      .describe(
        "Column order: dot paths into the mapped value (customerInfo.name), also the header names. Unset: an existing file's header, else the first record's fields. A record with a field no column holds fails instead of losing it.",
      ),
    key_column: keyOption('column'),
    header: z.boolean().default(true).describe('Writes a header row at the start of each file.'),
    delimiter: singleCharacter('field delimiter').default(','),
    quote: singleCharacter('quote character').default('"'),
    line_ending: z.enum(['lf', 'crlf']).default('lf').describe('How rows end.'),
    max_record_bytes: size().prefault('1MB').describe('Longest row read back by a lookup.'),
  })
  .refine((options) => options.header || options.columns !== undefined, {
    message: 'a file without a header needs columns: [...] so a rerun knows its columns',
    path: ['columns'],
  });

/** `type: csv` as a destination: rows appended to a local CSV file, exactly once across kill -9. */
export const csvSink = defineSink({
  type: 'csv',
  options: csvSinkOptions,
  docs: {
    title: 'CSV file destination',
    summary: 'Appends each mapped record as a row of a local CSV file, exactly once, rotating by size.',
    description: `Appends one row per record (RFC 4180 quoting: values holding the delimiter, a quote or a
line break are quoted) to a local file, with a header at the start of each file. Nested objects of the
mapped value become dot-path columns (\`customerInfo.name\`); lists are written as JSON text; \`null\` is
an empty cell. The columns are \`columns\` when given, else an existing file's header, else the first
record's fields; a record with a field no column holds fails (refused, with the field named) rather than
being written without it. An existing file whose header differs from \`columns\` is refused before
anything is written.

**Exactly once across kill -9.** A batch is appended with one write and one \`fdatasync\` (the directory
synced too when a file is new) before it is reported delivered, so what ferry settled is on disk. A crash
after the write and before the ledger settled the batch leaves whole rows: the rerun looks each record
left in flight up by its key column and settles it without writing it again. A crash during the write
leaves at most one torn row: when the file is next opened it is cut off (its bytes kept in
\`<file>.torn\`), so a half row never stays and the record is written again whole.

**The key column** identifies a record in the file. By default ferry adds a \`ferry_key\` column holding
the record key; set \`key_column\` to a field of the mapped value that is unique per record (\`orderId\`)
to keep the file to your own columns. Lookups build an index of the files' keys on first use (only after a
crash or on a new ledger): one pass over the files, 64-bit hashes and offsets in typed arrays, so a
million rows cost the index some tens of MB and never their text; a normal run holds no index at all.

**Rotation.** With \`rotate_bytes\` and \`{n}\` in the path (\`orders-{n}.csv\`), a file is left complete
once the next row would take it past the size, and the next number started, with its header.`,
    example: `destination:
  type: csv
  path: \${DEST_FILE}          # out/orders.csv, or out/orders-{n}.csv with rotate_bytes
  key_column: orderId
  columns: [orderId, customerInfo.id, customerInfo.name, customerInfo.contactEmail]
  rotate_bytes: 100MB`,
  },
  create(options, context) {
    const template = sinkTemplate(options.path, context.baseDir, options.rotate_bytes);
    return createFileSink({
      template,
      ...(options.rotate_bytes === undefined ? {} : { rotateBytes: options.rotate_bytes }),
      concurrency: context.concurrency ?? options.concurrency,
      ignoreFields: context.ignoreFields,
      format: csvRowFormat({
        name: basename(template.pattern),
        ...(options.columns ? { columns: options.columns } : {}),
        keyColumn: options.key_column,
        header: options.header,
        delimiter: options.delimiter,
        quote: options.quote,
        recordDelimiter: options.line_ending === 'crlf' ? 'windows' : 'unix',
        maxRecordBytes: options.max_record_bytes,
      }),
    });
  },
});
