import { z } from 'zod';
import { httpUrl, optionalText } from '../../config/field-types.ts';
import { sourceHttpShape } from '../../config/http-options.ts';
import { incrementalSchema } from '../../config/incremental-schema.ts';
import { errorCodesSchema } from './error-codes-schema.ts';
import {
  addProblems,
  checkVariables,
  type FerryVariable,
  refineOneOf,
  refineOperation,
} from './operation-checks.ts';

const maxPages = () =>
  z
    .number()
    .int()
    .min(1)
    .default(100_000)
    .describe('Stops with an error after this many pages: a guard against endless loops.');

const pageSize = (variable: string) =>
  z
    .number()
    .int()
    .min(1)
    .optional()
    .describe(
      `Records asked for per page, sent in the \`${variable}\` variable; unset sends none (the server's default).`,
    );

const relaySchema = z
  .strictObject({
    type: z.literal('relay'),
    page_info_path: optionalText().describe(
      "Dot path to the connection's `pageInfo` (`hasNextPage`, `endCursor`) in `data`; by default the sibling of the records: `customers.pageInfo` for `customers.edges` or `customers.nodes`.",
    ),
    cursor_variable: z
      .string()
      .min(1)
      .default('after')
      .describe("Variable the previous page's `endCursor` is sent in (not sent for the first page)."),
    page_size_variable: z.string().min(1).default('first').describe('Variable the page size is sent in.'),
    page_size: pageSize('page_size_variable'),
    max_pages: maxPages(),
  })
  .describe(
    'Relay cursor connections: asks for the page after the previous `pageInfo.endCursor` while `pageInfo.hasNextPage` is true.',
  );

const offsetSchema = z
  .strictObject({
    type: z.literal('offset'),
    offset_variable: z
      .string()
      .min(1)
      .default('offset')
      .describe('Variable the offset (records read so far, from 0) is sent in.'),
    limit_variable: z.string().min(1).default('limit').describe('Variable the page size is sent in.'),
    page_size: pageSize('limit_variable'),
    end_on_short_page: z
      .boolean()
      .default(false)
      .describe(
        'Ends the read at a page with fewer records than `page_size`, saving one request. Off by default: servers cap page sizes, and a capped page looks short.',
      ),
    max_pages: maxPages(),
  })
  .describe(
    'Offsets: advances by the records received until a page comes back empty or the total at `total_path` is reached.',
  );

const noneSchema = z.strictObject({ type: z.literal('none') }).describe('Reads a single page.');

/** The `pagination` block of a GraphQL source. */
export const graphqlPaginationSchema = z
  .discriminatedUnion('type', [relaySchema, offsetSchema, noneSchema])
  .prefault({ type: 'relay' })
  .describe('How pages are walked: `relay` cursors (the default), `offset`, or `none`.');

/** A parsed GraphQL source `pagination` block. */
export type GraphqlPagination = z.output<typeof graphqlPaginationSchema>;

const partialDataSchema = z
  .strictObject({
    retries: z
      .number()
      .int()
      .min(0)
      .max(20)
      .default(3)
      .describe(
        'Times a page is asked for again when records in it came back as errors that say "retry" (INTERNAL_SERVER_ERROR, SERVICE_UNAVAILABLE...); 0 takes the first answer.',
      ),
    still_failing: z
      .enum(['quarantine', 'fail'])
      .default('quarantine')
      .describe(
        'What happens to records that still come back as errors: `quarantine` them with the error and its field (the rest of the page flows on), or `fail` the run.',
      ),
  })
  .prefault({})
  .describe(
    'Partial data: a 200 whose `data` holds the page but whose `errors` point into some of its records (their `path`).',
  );

/** The variables a source's pagination fills, for the checks and the requests. */
export function paginationVariables(pagination: GraphqlPagination): FerryVariable[] {
  if (pagination.type === 'relay') {
    return [
      {
        name: pagination.cursor_variable,
        option: 'pagination.cursor_variable',
        holds: "the previous page's endCursor",
      },
      ...(pagination.page_size === undefined
        ? []
        : [
            {
              name: pagination.page_size_variable,
              option: 'pagination.page_size_variable',
              holds: 'the page size',
            },
          ]),
    ];
  }
  if (pagination.type === 'offset') {
    return [
      { name: pagination.offset_variable, option: 'pagination.offset_variable', holds: 'the offset' },
      ...(pagination.page_size === undefined
        ? []
        : [{ name: pagination.limit_variable, option: 'pagination.limit_variable', holds: 'the page size' }]),
    ];
  }
  return [];
}

/** Every variable ferry fills in a source's query: the pagination's and the incremental read's. */
export function sourceVariables(options: {
  readonly pagination: GraphqlPagination;
  readonly incremental?: { readonly variable: string } | undefined;
}): FerryVariable[] {
  return [
    ...paginationVariables(options.pagination),
    ...(options.incremental
      ? [
          {
            name: options.incremental.variable,
            option: 'incremental.variable',
            holds: 'the cursor value the read starts from',
          },
        ]
      : []),
  ];
}

/** The options of a `type: graphql` source. */
export const graphqlSourceOptions = z
  .strictObject({
    url: httpUrl().describe('The GraphQL endpoint; every page is a POST to it.'),
    query: z
      .string()
      .min(1)
      .optional()
      .describe(
        'The query, as GraphQL text; it declares the pagination variables (`$after`, `$first`). Checked when the config is read: a syntax error names its line and column.',
      ),
    query_file: z
      .string()
      .min(1)
      .optional()
      .describe(
        'A file holding the query (`.graphql`), relative to the integration file; instead of `query`.',
      ),
    operation_name: optionalText().describe('The operation to run when the document holds several.'),
    variables: z
      .record(z.string().min(1), z.json())
      .default({})
      .describe(
        "Static variables sent with every page (filters, a date); the pagination variables are ferry's.",
      ),
    records_path: z
      .string()
      .min(1)
      .describe(
        "Dot path to the records list in `data`: `customers.nodes`, or `customers.edges` (each edge's `node` is the record, and its `cursor` says where it was read).",
      ),
    pagination: graphqlPaginationSchema,
    total_path: optionalText().describe(
      'Dot path to the total record count in `data` (`customers.totalCount`): for progress, to end offset reads, and to check a complete read against.',
    ),
    on_total_mismatch: z
      .enum(['fail', 'warn'])
      .default('fail')
      .describe(
        'What a complete read whose record count differs from the total at `total_path` does: `fail` aborts the run; `warn` logs it.',
      ),
    partial_data: partialDataSchema,
    error_codes: errorCodesSchema,
    incremental: incrementalSchema(
      {
        variable: z
          .string()
          .min(1)
          .describe(
            'The variable the read starts from goes in (`updatedSince`), on every page of the read: the query declares it nullable and filters on it (the first read without `start` sends none).',
          ),
      },
      'Reads only what changed since the last complete read: the high-water mark of `cursor_field` (less `lookback`) goes in `variable`. The API must return the records whose cursor is at or after it.',
    ),
    ...sourceHttpShape(),
  })
  .superRefine((options, ctx) => {
    refineOneOf(options.query, options.query_file, ['query', 'query_file'], ctx);
    const operation = refineOperation(
      options.query,
      ['query'],
      'query',
      options.operation_name,
      ctx,
      'source.query',
    );
    if (!operation) return;
    addProblems(
      ctx,
      checkVariables(operation, {
        setByFerry: sourceVariables(options),
        provided: Object.keys(options.variables),
      }),
    );
  })
  .describe('Reads records from a GraphQL API, page by page (Relay cursors or offsets).');

/** A parsed `type: graphql` source block. */
export type GraphqlSourceConfig = z.output<typeof graphqlSourceOptions>;
