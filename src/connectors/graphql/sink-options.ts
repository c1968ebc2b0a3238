import { z } from 'zod';
import { httpUrl, optionalText } from '../../config/field-types.ts';
import { sinkHttpShape } from '../../config/http-options.ts';
import { refusesDuplicatesSchema } from '../../config/refuses-duplicates-schema.ts';
import { errorCodesSchema } from './error-codes-schema.ts';
import {
  addProblems,
  checkVariables,
  type FerryVariable,
  refineOneOf,
  refineOperation,
} from './operation-checks.ts';

const idempotencySchema = z
  .strictObject({
    header: z
      .string()
      .nullable()
      .default('Idempotency-Key')
      .transform((value) => (value === '' ? null : value))
      .describe(
        'Header carrying each record\'s idempotency key; null or "" sends none. Many GraphQL APIs ignore it: then configure `lookup`, or `key_variable` when the mutation takes a key.',
      ),
  })
  .prefault({})
  .describe('How the destination is told that a retried mutation is the same record.');

const lookupSchema = z
  .strictObject({
    query: z
      .string()
      .min(1)
      .optional()
      .describe(
        'A query that finds one record, as GraphQL text: `query ($id: ID!) { order(orderId: $id) { ... } }`.',
      ),
    query_file: z.string().min(1).optional().describe('A file holding the lookup query, instead of `query`.'),
    operation_name: optionalText().describe('The operation to run when the document holds several.'),
    variables: z
      .record(z.string().min(1), z.json())
      .default({})
      .describe(
        "The query's variables. In strings, `{key}` is the record's key, `{idempotencyKey}` its idempotency key and `{field}` (`{orderId}`, `{customerInfo.id}`) a field of the mapped value; a string that is one placeholder keeps the field's type.",
      ),
    result_path: optionalText().describe(
      "Dot path in `data` to the record found (`order`), or to a list filtered by the variables (`orders.nodes`): null or an empty list means not there. By default the query's first field. Select every field the mapping sends: a found record is compared with what was sent (fields with `compare: false` aside).",
    ),
    before_send: z
      .enum(['new_ledger', 'always', 'never'])
      .default('new_ledger')
      .describe(
        'When a record the ledger does not know is looked up before its first send: `new_ledger` (until a run has read the source to its end with this ledger; not needed where the destination `refuses_duplicates`), `always`, or `never`.',
      ),
  })
  .optional()
  .describe(
    'Optional lookup of a record at the destination, by a query. Used before resending a mutation that may have been applied (a crash, an INTERNAL_SERVER_ERROR, a timeout, a reset), when the API says the record exists (CONFLICT, TAKEN), before a replay, and on a new ledger; found and equal counts as delivered.',
  );

/** The variables a destination's mutation gets from ferry. */
export function mutationVariables(options: {
  readonly value_variable: string;
  readonly key_variable?: string | undefined;
}): FerryVariable[] {
  return [
    { name: options.value_variable, option: 'value_variable', holds: 'the mapped record' },
    ...(options.key_variable === undefined
      ? []
      : [{ name: options.key_variable, option: 'key_variable', holds: "the record's idempotency key" }]),
  ];
}

/** Names of `{placeholders}` in a lookup's variables. */
export function templateNames(variables: Readonly<Record<string, unknown>>): string[] {
  const names: string[] = [];
  const visit = (value: unknown) => {
    if (typeof value === 'string') {
      for (const match of value.matchAll(/\{([A-Za-z0-9_.-]+)\}/g)) names.push(match[1]!);
    } else if (Array.isArray(value)) value.forEach(visit);
    else if (value !== null && typeof value === 'object') Object.values(value).forEach(visit);
  };
  visit(variables);
  return names;
}

/** The options of a `type: graphql` destination. */
export const graphqlSinkOptions = z
  .strictObject({
    url: httpUrl().describe('The GraphQL endpoint each mutation is POSTed to.'),
    mutation: z
      .string()
      .min(1)
      .optional()
      .describe(
        'The mutation, as GraphQL text: `mutation ($input: OrderInput!) { createOrder(input: $input) { orderId } }`. Checked when the config is read.',
      ),
    mutation_file: z
      .string()
      .min(1)
      .optional()
      .describe('A file holding the mutation, instead of `mutation`.'),
    operation_name: optionalText().describe('The operation to run when the document holds several.'),
    value_variable: z
      .string()
      .min(1)
      .default('input')
      .describe(
        'The variable the mapped record is sent in; the mutation declares it (`$input: OrderInput!`).',
      ),
    key_variable: optionalText().describe(
      "A variable the record's idempotency key is sent in, for a mutation that takes one (`clientMutationId`, `idempotencyKey`).",
    ),
    variables: z
      .record(z.string().min(1), z.json())
      .default({})
      .describe('Static variables sent with every mutation.'),
    result_path: optionalText().describe(
      "Dot path in `data` that holds a value when the record was stored (`createOrder.orderId`, `orderCreate.order.id`); by default the mutation's first field. Null or missing there, the record failed.",
    ),
    user_errors_path: optionalText().describe(
      'Dot path to a list of refusals the mutation returns as data instead of errors (`orderCreate.userErrors`, each `{field, message, code}`): a non-empty list fails the record as refused, with each field named.',
    ),
    idempotency: idempotencySchema,
    lookup: lookupSchema,
    refuses_duplicates: refusesDuplicatesSchema('an error whose code `error_codes` reads as `conflict`'),
    error_codes: errorCodesSchema,
    ...sinkHttpShape(),
  })
  .superRefine((options, ctx) => {
    refineOneOf(options.mutation, options.mutation_file, ['mutation', 'mutation_file'], ctx);
    const operation = refineOperation(
      options.mutation,
      ['mutation'],
      'mutation',
      options.operation_name,
      ctx,
      'destination.mutation',
    );
    if (operation) {
      addProblems(
        ctx,
        checkVariables(operation, {
          setByFerry: mutationVariables(options),
          provided: Object.keys(options.variables),
        }),
      );
    }
    const lookup = options.lookup;
    if (!lookup) return;
    refineOneOf(lookup.query, lookup.query_file, ['query', 'query_file'], ctx, ['lookup']);
    const query = refineOperation(
      lookup.query,
      ['lookup', 'query'],
      'query',
      lookup.operation_name,
      ctx,
      'destination.lookup.query',
    );
    if (query) {
      addProblems(ctx, checkVariables(query, { setByFerry: [], provided: Object.keys(lookup.variables) }), [
        'lookup',
      ]);
    }
  })
  .describe('Sends each record through a GraphQL mutation.');

/** A parsed `type: graphql` destination block. */
export type GraphqlSinkConfig = z.output<typeof graphqlSinkOptions>;
