import { isDeepStrictEqual } from 'node:util';
import { z } from 'zod';
import { size } from '../../config/field-types.ts';
import { fileCheckpointSchema, readCheckpoint } from '../files/file-checkpoint.ts';
import { readFilePages } from '../files/read-file-pages.ts';
import { fileSourceParts, fileSourceShape } from '../files/source-options.ts';
import { defineSource } from '../spec.ts';
import { csvReader } from './csv-reader.ts';

const singleCharacter = (what: string) =>
  z
    .string()
    .length(1, { message: `expected one character as the ${what} ("\\t" for a tab)` })
    .describe(`The ${what}, one character.`);

/** The options of `type: csv` as a source. */
export const csvSourceOptions = z
  .strictObject({
    ...fileSourceShape(),
    header: z.boolean().default(true).describe('The first record names the columns.'),
    columns: z
      .array(z.string().min(1))
      .min(1)
      .optional()
      .describe(
        "Column names. With `header: true` they replace the header row's names (the header is still skipped); without a header they are required.",
      ),
    delimiter: singleCharacter('field delimiter').default(','),
    quote: singleCharacter('quote character').default('"'),
    encoding: z.enum(['utf8', 'latin1']).default('utf8').describe('Text encoding of the file.'),
    trim: z.boolean().default(false).describe('Trims whitespace around unquoted values.'),
    max_record_bytes: size()
      .prefault('1MB')
      .describe(
        'Longest record; a longer one ends the run as malformed (a wrong delimiter, an unclosed quote).',
      ),
  })
  .refine((options) => options.header || options.columns !== undefined, {
    message: 'a file without a header needs columns: [...] to name its columns',
    path: ['columns'],
  });

const csvCheckpointSchema = fileCheckpointSchema.extend({ columns: z.array(z.string()).min(1) });

/** `type: csv` as a source: a CSV file on disk or behind an https:// URL, streamed. */
export const csvSource = defineSource({
  type: 'csv',
  options: csvSourceOptions,
  docs: {
    title: 'CSV file source',
    summary: 'Reads records from a CSV file, local or over https, plain or gzip-compressed, streamed.',
    description: `Reads a CSV file (RFC 4180: quoted fields may hold delimiters, doubled quotes and line
breaks; CRLF and LF line ends) as a stream, so a file of any size costs what a page does. Each record
becomes an object keyed by the header's names; **an empty cell is a missing value** (the key is absent),
so mapping rules and input schemas treat it as one. Values are strings: the mapping converts them.

A file whose first bytes say gzip is gunzipped, whatever its name. An \`https://\` path is downloaded as
a stream with the source's \`auth\`, \`headers\`, \`timeouts\`, \`retry\` and \`tls\`; credentials go to
the file's own origin only, so a redirect to a storage host gets none. A download that breaks off is
opened again at the last page handed out.

Every record's position is \`<file>:<line>\`, the physical line it starts on, and quarantine reasons
carry it: \`customers.csv:4711: email: must be a plausible email address\`.

- **Dirty rows are quarantined, not fatal**: a row with more or fewer cells than the header (the missing
  column named), or with text that is not UTF-8.
- **A malformed file ends the run** (\`FERRY_ERR_SOURCE_MALFORMED\`, exit 3) with the file and line
  named, and nothing after the damage is sent: a quote never closed, text after a closing quote, a NUL
  byte (binary content), a record past \`max_record_bytes\`, a truncated or corrupt gzip stream, a zip
  archive, or so many non-UTF-8 records that the file is in another encoding.
- **Resuming**: the checkpoint after each settled page holds the byte and line the next record starts
  on, with fingerprints of the file's first bytes and of the bytes just before that point. A rerun of a
  plain local file seeks there; a gzip file or a download is read again from its start and the bytes
  before the checkpoint are skipped unparsed. A file that changed (a new export under the same name) is
  read from its start, and the ledger skips what was delivered; a file that only grew resumes.
- Files announce no total, so the progress shows records read, not a percentage.`,
    example: `source:
  type: csv
  path: \${SOURCE_FILE}        # customers.csv, customers.csv.gz or https://exports.example.com/customers.csv
  header: true
  delimiter: ","
  page_size: 1000`,
  },
  create(options, context) {
    const parts = fileSourceParts(options, context);
    const format = csvReader({
      header: options.header,
      ...(options.columns ? { columns: options.columns } : {}),
      delimiter: options.delimiter,
      quote: options.quote,
      encoding: options.encoding,
      trim: options.trim,
      maxRecordBytes: options.max_record_bytes,
    });
    return {
      readPages: ({ from, signal }) =>
        readFilePages(
          {
            location: parts.location,
            compression: options.compression,
            pageSize: options.page_size,
            retry: parts.retry,
            ...(parts.download ? { download: parts.download } : {}),
            format,
            readCheckpoint: (checkpoint) => {
              const read = readCheckpoint(csvCheckpointSchema, checkpoint);
              // Other column names than the checkpoint's: the config changed, so read from the start.
              if (read && options.columns && !isDeepStrictEqual(read.columns, options.columns)) return null;
              return read;
            },
          },
          from,
          signal,
        ),
      close: () => parts.close(),
    };
  },
});
