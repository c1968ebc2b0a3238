import { z } from 'zod';
import { httpUrl, optionalText } from '../../config/field-types.ts';
import { sourceHttpShape } from '../../config/http-options.ts';
import { incrementalSchema } from '../../config/incremental-schema.ts';
import { paginationSchema } from '../../config/pagination-schema.ts';

/** The options of a `type: rest` source. */
export const restSourceOptions = z
  .strictObject({
    url: httpUrl().describe('URL of the first page.'),
    records_path: z
      .string()
      .default('')
      .describe('Dot path to the records array in the body; "" means the body is the array.'),
    pagination: paginationSchema,
    total_path: optionalText().describe(
      'Dot path to the total record count the source announces in the body (`count`, `meta.total`); the `X-Total-Count` header is read without it. A known total ends page_number and offset reads once reached, and a complete read is checked against it.',
    ),
    on_total_mismatch: z
      .enum(['fail', 'warn'])
      .default('fail')
      .describe(
        'What a complete read whose record count differs from the announced total does: `fail` ends the run aborted (exit 3) naming expected and read counts; `warn` logs it and lets the run finish.',
      ),
    incremental: incrementalSchema(
      {
        param: z
          .string()
          .min(1)
          .describe(
            "Query parameter the high-water mark (less the lookback) is sent in on the first page (`updated_since`, `modified_after`); the API must answer the records whose cursor is at or after it. Next pages follow the API's own links or the pagination, which keep it.",
          ),
      },
      'Reads only what changed: after a complete read ferry keeps the highest cursor value of the settled records (the high-water mark) and sends it in `param` on the next read; before the first complete read, `start` is sent (or nothing: everything is read). Records read again unchanged are skipped by content.',
    ),
    ...sourceHttpShape(),
  })
  .describe('Reads records from a JSON REST API, page by page.');

/** A parsed `type: rest` source block. */
export type RestSourceConfig = z.output<typeof restSourceOptions>;
