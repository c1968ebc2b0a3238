import { z } from 'zod';
import { size } from '../../config/field-types.ts';
import { fileCheckpointSchema, readCheckpoint } from '../files/file-checkpoint.ts';
import { readFilePages } from '../files/read-file-pages.ts';
import { fileSourceParts, fileSourceShape } from '../files/source-options.ts';
import { defineSource } from '../spec.ts';
import { ndjsonReader } from './ndjson-reader.ts';

/** The options of `type: ndjson` as a source. */
export const ndjsonSourceOptions = z.strictObject({
  ...fileSourceShape(),
  max_record_bytes: size()
    .prefault('1MB')
    .describe('Longest line; a longer one ends the run as malformed (a file that is not NDJSON).'),
});

/** `type: ndjson` as a source: JSON Lines on disk or behind an https:// URL, streamed. */
export const ndjsonSource = defineSource({
  type: 'ndjson',
  options: ndjsonSourceOptions,
  docs: {
    title: 'NDJSON file source',
    summary: 'Reads records from an NDJSON (JSON Lines) file, local or over https, plain or gzip-compressed.',
    description: `Reads one JSON value per line (NDJSON, JSON Lines), as a stream: a file of any size costs
what a page does. Blank lines are skipped and CRLF line ends accepted. Each record's position is
\`<file>:<line>\`, and quarantine reasons carry it.

A file whose first bytes say gzip is gunzipped, whatever its name. An \`https://\` path is downloaded as a
stream with the source's \`auth\`, \`headers\`, \`timeouts\`, \`retry\` and \`tls\`; credentials go to the
file's own origin only. A download that breaks off is opened again at the last page handed out.

- **Dirty lines are quarantined, not fatal**: a line that is not valid JSON (the parser's message says
  where), or not UTF-8 text; its dead letter keeps the line's text.
- **A malformed file ends the run** (\`FERRY_ERR_SOURCE_MALFORMED\`, exit 3) with file and line named: a
  NUL byte (binary content), a line past \`max_record_bytes\`, a truncated or corrupt gzip stream, a zip
  archive, or so many non-UTF-8 lines that the file is not text.
- **Resuming** works as for CSV: the checkpoint holds the byte and line of the next record, with
  fingerprints that tell the same (or a grown) file from a new one; a plain local file seeks, a gzip file
  or a download skips the bytes before the checkpoint unparsed, and a new file is read from its start.`,
    example: `source:
  type: ndjson
  path: \${SOURCE_FILE}        # customers.ndjson, customers.jsonl.gz or https://...
  page_size: 1000`,
  },
  create(options, context) {
    const parts = fileSourceParts(options, context);
    const format = ndjsonReader({ maxRecordBytes: options.max_record_bytes });
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
            readCheckpoint: (checkpoint) => readCheckpoint(fileCheckpointSchema, checkpoint),
          },
          from,
          signal,
        ),
      close: () => parts.close(),
    };
  },
});
