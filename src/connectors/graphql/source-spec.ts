import { originOf } from '../../auth/origin.ts';
import { sourceHttp } from '../../config/http-options.ts';
import { toIncrementalCursor } from '../../config/incremental-schema.ts';
import { readPath } from '../../pagination/dot-path.ts';
import { defineSource } from '../spec.ts';
import { createErrorClassifier } from './graphql-errors.ts';
import { graphqlBodyClassifier } from './graphql-exchange.ts';
import { createGraphqlSource } from './graphql-source.ts';
import { loadOperation } from './operation-checks.ts';
import { graphqlSourceOptions, sourceVariables } from './source-options.ts';

const ENDPOINT = 'source';

/** `type: graphql` as a source: a query read page by page with Relay cursors or offsets. */
export const graphqlSource = defineSource({
  type: 'graphql',
  options: graphqlSourceOptions,
  docs: {
    title: 'GraphQL source',
    summary: 'Reads records from a GraphQL API with a query, page by page (Relay cursors or offsets).',
    description: `POSTs the \`query\` with its \`variables\` and takes the records at \`records_path\` in \`data\`:
a list of nodes (\`customers.nodes\`), or of edges (\`customers.edges\`: each edge's \`node\` is the record and its
\`cursor\` says where it was read). The query is parsed and checked when the config is read: a syntax error
names its line and column, and the pagination variables it must declare (\`$after\`, \`$first\`, or
\`$offset\`, \`$limit\`) are checked, as are required variables nothing fills.

**Pagination.** \`relay\` (the default) sends the previous page's \`pageInfo.endCursor\` in \`$after\` while
\`pageInfo.hasNextPage\` is true; \`offset\` advances \`$offset\` by the records received until a page is empty
or the total at \`total_path\` is reached; \`none\` reads one page. The checkpoint saved after every settled
page is the next cursor or offset, tied to a hash of the URL, query, variables and records path: a changed
query starts over (the ledger skips what was delivered). A saved cursor the API refuses on resume (cursors
expire) starts the read over too.

**Errors in a 200.** GraphQL reports failures in the body. A response with \`errors\` and no data is
classified by each error's \`extensions.code\` (see \`error_codes\`): INTERNAL_SERVER_ERROR and
SERVICE_UNAVAILABLE are retried with backoff, RATE_LIMITED waits, UNAUTHENTICATED refreshes credentials once,
FORBIDDEN stops the run, and a query the API does not accept (GRAPHQL_VALIDATION_FAILED, a syntax error, a
variable's invalid value) stops it as a configuration error (\`FERRY_ERR_GRAPHQL_INVALID\`). Partial data,
records that came back \`null\` or with a field in error, is asked for again while those errors say "retry"
(\`partial_data.retries\`); what still fails is quarantined with the error, its field (\`email\`), and its
position (\`cursor Y3Vz...\`, \`customers.nodes[3] after cursor ...\`, \`offset 4711\`), and the rest of the page
flows on.

**Incremental reads.** With \`incremental\`, a read asks only for what changed: the high-water mark of
\`cursor_field\` (less \`lookback\`) goes in the query's \`variable\` on every page, as a filter the API
applies (\`customers(updatedSince: $since)\`), oldest change first. The mark advances only past settled
records, as for REST; records read again unchanged are skipped by content.

GraphQL cannot tell a missing field from \`null\`: both reach the mapping as \`null\`.`,
    example: `source:
  type: graphql
  url: \${SOURCE_GRAPHQL_URL}
  auth:
    type: api_key
    in: header
    name: X-API-Key
    value: \${SOURCE_API_KEY}
  query: |
    query Customers($first: Int, $after: String) {
      customers(first: $first, after: $after) {
        edges { cursor node { customer_id first_name last_name email phone address { street city state zip } } }
        pageInfo { hasNextPage endCursor }
        totalCount
      }
    }
  records_path: customers.edges
  total_path: customers.totalCount
  pagination:
    type: relay
    page_size: 100`,
  },
  create(options, context) {
    const operation = loadOperation({
      inline: options.query,
      file: options.query_file,
      option: 'source.query',
      fileOption: 'source.query_file',
      expected: 'query',
      operationName: options.operation_name,
      baseDir: context.baseDir,
      variables: {
        setByFerry: sourceVariables(options),
        provided: Object.keys(options.variables),
      },
      prefix: 'source',
    });
    const classOf = createErrorClassifier(options.error_codes);
    // A page fails as a whole when nothing readable came back where the records are.
    const classifyBody = graphqlBodyClassifier(classOf, (answer) => {
      if (!answer.hasData || answer.data === null) return true;
      const records = readPath(answer.data, options.records_path);
      return !records.found || !Array.isArray(records.value);
    });
    const http = sourceHttp(options);
    const stack = context.http({
      ...http,
      endpoint: ENDPOINT,
      origins: [originOf(options.url)],
      classifyBody,
      // A query stores nothing: resending one after an unclear failure is always safe, though it is a POST.
      canResend: () => async () => true,
    });
    const source = createGraphqlSource({
      url: options.url,
      send: stack.send,
      operation,
      variables: options.variables,
      recordsPath: options.records_path,
      pagination: options.pagination,
      totalPath: options.total_path,
      partialData: {
        retries: options.partial_data.retries,
        stillFailing: options.partial_data.still_failing,
      },
      classOf,
      classifyBody,
      headers: options.headers,
      endpoint: ENDPOINT,
      backoff: { baseDelayMs: http.retry.baseDelayMs, maxDelayMs: http.retry.maxDelayMs },
      ...(options.incremental
        ? {
            incremental: {
              ...toIncrementalCursor(options.incremental),
              variable: options.incremental.variable,
            },
          }
        : {}),
    });
    return { ...source, onTotalMismatch: options.on_total_mismatch };
  },
});
