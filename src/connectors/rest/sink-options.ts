import { z } from 'zod';
import { httpUrl } from '../../config/field-types.ts';
import { sinkHttpShape } from '../../config/http-options.ts';

const idempotencySchema = z
  .strictObject({
    header: z
      .string()
      .nullable()
      .default('Idempotency-Key')
      .transform((value) => (value === '' ? null : value))
      .describe(
        'Header carrying each record\'s idempotency key; null or "" sends none (then POST retries need `lookup`).',
      ),
  })
  .prefault({})
  .describe('How the destination is told that a retried request is the same record.');

const lookupSchema = z
  .strictObject({
    url: httpUrl().describe(
      "GET URL that finds one record: {key} is replaced by the record's key and {field} by a top-level field of the body sent. Either a single resource (`.../orders/{orderId}`: 200 is the record, 404 means not there) or a collection filtered by a query (`.../orders?orderId={orderId}`: an empty list means not there).",
    ),
    records_path: z
      .string()
      .default('')
      .describe(
        'Where the list is in a collection answer that wraps it (`data` for {"data":[...]}, `items`, `result.orders`); "" when the answer is the record itself or a bare list.',
      ),
    before_send: z
      .enum(['new_ledger', 'always', 'never'])
      .default('new_ledger')
      .describe(
        'When a record the ledger does not know is looked up before its first send: `new_ledger` (until a run has read the source to its end with this ledger: a job that moved to another directory, or whose first runs there were killed), `always`, or `never`.',
      ),
  })
  .optional()
  .describe(
    'Optional lookup of a record at the destination. Used before resending anything that may have arrived (a crash, a 5xx, a timeout, a reset), when the destination says the key or record exists (409, 422 `idempotency_key_reused`), before a replay, and on a new ledger; a record found equal (fields with `compare: false` in the mapping aside) counts as delivered.',
  );

/** The options of a `type: rest` destination. */
export const restSinkOptions = z
  .strictObject({
    url: httpUrl().describe('URL each record is sent to.'),
    method: z.enum(['POST', 'PUT', 'PATCH']).default('POST').describe('HTTP method of each send.'),
    idempotency: idempotencySchema,
    lookup: lookupSchema,
    ...sinkHttpShape(),
  })
  .describe('Sends each record as one JSON request to a REST API.');

/** A parsed `type: rest` destination block. */
export type RestSinkConfig = z.output<typeof restSinkOptions>;
