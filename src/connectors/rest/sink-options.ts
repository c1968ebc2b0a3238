import { z } from 'zod';
import { httpUrl, optionalText } from '../../config/field-types.ts';
import { sinkHttpShape } from '../../config/http-options.ts';
import { refusesDuplicatesSchema } from '../../config/refuses-duplicates-schema.ts';

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
        'When a record the ledger does not know is looked up before its first send: `new_ledger` (until a run has read the source to its end with this ledger: a job that moved to another directory, or whose first runs there were killed; not needed where the destination `refuses_duplicates`), `always`, or `never`.',
      ),
  })
  .optional()
  .describe(
    'Optional lookup of a record at the destination. Used before resending anything that may have arrived (a crash, a 5xx, a timeout, a reset), when the destination says the key or record exists (409, 422 `idempotency_key_reused`), before a replay, and on a new ledger; a record found equal (fields with `compare: false` in the mapping aside) counts as delivered.',
  );

const onChangeSchema = z
  .strictObject({
    action: z
      .enum(['update', 'skip', 'dead_letter'])
      .default('skip')
      .describe(
        'What a delivered record that comes again with another mapped body does: `update` sends it to `url`; `skip` leaves the destination as it is; `dead_letter` fails it with reason `changed_after_delivery`, the destination keeping what it has. With `skip`, delivered records are not even mapped again.',
      ),
    method: z
      .enum(['PUT', 'PATCH'])
      .default('PUT')
      .describe('HTTP method of an update; the body is the whole mapped record.'),
    url: httpUrl().optional().describe(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: config reference syntax, not a template
      'URL template of the record at the destination (`${DEST_URL}/{orderId}`): {key} is the record key, {field} a top-level field of the mapped body. Required with `action: update`.',
    ),
    fetch_first: z
      .boolean()
      .default(true)
      .describe(
        'GET the record at `url` before each update: its `ETag` (a strong one) goes in `If-Match`, so a write delayed or retried after a newer one is refused (412) instead of overwriting it; the fields in `keep` are taken from it; a record that already holds this version is not sent; one the destination no longer has is created again. false sends the update blind.',
      ),
    keep: z
      .array(z.string().min(1))
      .nullable()
      .default(null)
      .describe(
        "Dot paths of body fields an update never changes: sent as the destination holds them (read by `fetch_first`). null: the mapping's `compare: false` fields (the flagship's `orderDate`).",
      ),
  })
  .superRefine((value, ctx) => {
    if (value.action === 'update' && value.url === undefined) {
      ctx.addIssue({ code: 'custom', path: ['url'], message: 'is required with action: update' });
    }
  })
  .prefault({})
  .describe(
    "What a record delivered before does when the source changed it (the ledger remembers a hash of what was delivered for each key). Updates are exactly once too: each version goes with its own idempotency key, and one key's versions are sent one at a time, in the order read.",
  );

const onDeleteSchema = z
  .strictObject({
    action: z
      .enum(['ignore', 'delete'])
      .default('ignore')
      .describe(
        "What a record the mapping's `deleted` predicate marks deleted at the source does: `ignore` skips it (it is never created, and what was delivered stays); `delete` sends DELETE to `url` when the destination holds it (a 404 or 410 counts as deleted).",
      ),
    url: httpUrl()
      .optional()
      .describe('URL template of the record to delete, as `on_change.url`. Required with `action: delete`.'),
  })
  .superRefine((value, ctx) => {
    if (value.action === 'delete' && value.url === undefined) {
      ctx.addIssue({ code: 'custom', path: ['url'], message: 'is required with action: delete' });
    }
  })
  .prefault({})
  .describe('What a record deleted at the source does at the destination.');

/** The options of a `type: rest` destination. */
export const restSinkOptions = z
  .strictObject({
    url: httpUrl().describe('URL each record is sent to.'),
    method: z.enum(['POST', 'PUT', 'PATCH']).default('POST').describe('HTTP method of each send.'),
    format: z
      .enum(['json', 'xml'])
      .default('json')
      .describe(
        'How each record is sent and answers are read: JSON, or XML by the convention of docs/xml.md: the mapped value is one element, an object with one key naming the root (`{order: {orderId: ..., line: [...]}}`), `@name` keys are attributes. A value that cannot be written as XML is quarantined before any send; lookups and reads before an update parse XML answers, compared as the text they carry.',
      ),
    xml: z
      .strictObject({
        namespace: optionalText().describe(
          'Declared as the default namespace of the root element sent; an answer whose root is in another is refused. Empty or left out: no namespace.',
        ),
      })
      .prefault({})
      .describe('How XML bodies are written (`format: xml`).'),
    idempotency: idempotencySchema,
    lookup: lookupSchema,
    refuses_duplicates: refusesDuplicatesSchema(
      'a 409 the `responses` rules leave as `conflict`, the default, or a 422 naming the idempotency key as used',
    ),
    on_change: onChangeSchema,
    on_delete: onDeleteSchema,
    ...sinkHttpShape(),
  })
  .describe('Sends each record as one JSON or XML request to a REST API.');

/** A parsed `type: rest` destination block. */
export type RestSinkConfig = z.output<typeof restSinkOptions>;
