import { z } from 'zod';
import { sourceHttpShape } from '../../config/http-options.ts';
import { soapShape } from './sink-options.ts';

const elementPath = z.string().regex(/^([^/\s]+(\/[^/\s]+)*)?$/, {
  message: 'expected element names separated by /, e.g. Customers/Customer',
});

const paginationSchema = z
  .discriminatedUnion('type', [
    z
      .strictObject({
        type: z.literal('page_number'),
        start: z.number().int().min(0).default(1).describe('The first page number.'),
      })
      .describe('`{page}` in the request counts pages; the read ends at the first page without records.'),
    z
      .strictObject({
        type: z.literal('offset'),
        start: z.number().int().min(0).default(0).describe('The first offset.'),
      })
      .describe('`{offset}` in the request counts the records read; the read ends at the first empty page.'),
    z
      .strictObject({
        type: z.literal('token'),
        token_path: elementPath
          .min(1)
          .describe("Where the continuation token is in the operation's output (`NextPageToken`)."),
      })
      .describe(
        '`{token}` in the request is the token of the previous answer (left out on the first request); the read ends when an answer has none.',
      ),
    z.strictObject({ type: z.literal('none') }).describe('One call reads everything.'),
  ])
  .prefault({ type: 'none' })
  .describe('How the list operation pages.');

/** The options of `type: soap` as a source. */
export const soapSourceOptions = z.strictObject({
  ...soapShape(),
  operation: z.string().min(1).describe('The operation that lists records (ListCustomers).'),
  request: z
    .record(z.string(), z.unknown())
    .default({})
    .describe(
      "The operation's input as a plain object; `{page}`, `{offset}` and `{token}` are filled in per page by the pagination.",
    ),
  records_path: elementPath.describe(
    "Where the records are in the operation's output (`Customers/Customer`).",
  ),
  total_path: elementPath
    .optional()
    .describe('Where the output says how many records there are in all, if it does.'),
  pagination: paginationSchema,
  ...sourceHttpShape(),
});

/** Parsed options of a SOAP source. */
export type SoapSourceConfig = z.output<typeof soapSourceOptions>;
