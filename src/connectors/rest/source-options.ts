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
      .describe(
        'Where the records are. JSON: the dot path to the records array in the body ("" means the body is the array). XML: the element path from the root to a record element, `/Customers/Customer`.',
      ),
    format: z
      .enum(['json', 'xml'])
      .default('json')
      .describe(
        "What the pages are: JSON, or XML documents read as they stream in, a batch of records at a time, at flat memory however large a page is (docs/xml.md: the convention records are read by, and the limits). With `xml`, `total_path` and the pagination's `cursor_path` and `next_url_path` may be element paths too (`/Customers/@total`, `/Customers/NextPage`).",
      ),
    xml: z
      .strictObject({
        namespace: optionalText().describe(
          'The namespace the root element and the record elements must be in; a document in another is refused, naming both. Empty or left out: local names only.',
        ),
        arrays: z
          .array(
            z.string().regex(/^[^/\s]+(\/[^/\s]+)*$/, { message: 'expected element names separated by /' }),
          )
          .default([])
          .describe(
            'Element paths below a record (`Phones/Phone`) read as arrays even when they occur once; any element that repeats is an array anyway.',
          ),
        batch_size: z
          .number()
          .int()
          .min(1)
          .max(10_000)
          .default(500)
          .describe(
            'Records handed on at once while a document streams in; a checkpoint inside the page follows each batch, so a run stopped mid-document resumes there.',
          ),
      })
      .prefault({})
      .describe('How XML pages are read (`format: xml`).'),
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
  .superRefine((options, ctx) => {
    if (options.format === 'xml' && xmlRecordPath(options.records_path).length < 2)
      ctx.addIssue({
        code: 'custom',
        path: ['records_path'],
        message:
          'with format: xml, give the element path from the root to a record element, e.g. /Customers/Customer',
      });
  })
  .describe('Reads records from a JSON or XML REST API, page by page.');

/** `/Customers/Customer` as the element names `['Customers', 'Customer']`. */
export function xmlRecordPath(path: string): string[] {
  return path.split('/').filter((step) => step !== '');
}

/** An XML path option (`/Customers/@total`) as the dot path the paginators read; a dot path stays. */
export function xmlDotPath(path: string): string {
  return path.includes('/') ? xmlRecordPath(path).join('.') : path;
}

/** A parsed `type: rest` source block. */
export type RestSourceConfig = z.output<typeof restSourceOptions>;
