import { originOf } from '../../auth/origin.ts';
import { sinkHttp } from '../../config/http-options.ts';
import { lookupBeforeSend } from '../../config/refuses-duplicates-schema.ts';
import { defineSink } from '../spec.ts';
import { createErrorClassifier, type GraphqlAnswer } from './graphql-errors.ts';
import { graphqlBodyClassifier } from './graphql-exchange.ts';
import { createGraphqlSink, type GraphqlSink } from './graphql-sink.ts';
import { loadOperation } from './operation-checks.ts';
import { graphqlSinkOptions, mutationVariables } from './sink-options.ts';

const ENDPOINT = 'destination';

/** Every field the operation asked for came back null (or no data at all): the operation failed as a whole. */
function failedWhole(answer: GraphqlAnswer): boolean {
  if (!answer.hasData || answer.data === null || typeof answer.data !== 'object') return true;
  return Object.values(answer.data).every((value) => value === null);
}

/** `type: graphql` as a destination: one mutation per record, its outcome read from the body. */
export const graphqlSink = defineSink({
  type: 'graphql',
  options: graphqlSinkOptions,
  docs: {
    title: 'GraphQL destination',
    summary: 'Sends each record through a GraphQL mutation, the mapped value in one variable.',
    description: `POSTs the \`mutation\` with the mapped record in \`value_variable\` (\`$input\`), static
\`variables\`, and the record's idempotency key in an \`Idempotency-Key\` header (and in \`key_variable\` for a
mutation that takes one). The mutation is parsed and checked when the config is read.

**Outcomes.** A value at \`result_path\` (\`createOrder.orderId\`) means stored: delivered. Errors are
classified by their \`extensions.code\` (see \`error_codes\`): BAD_USER_INPUT, a variable's invalid value, or a
non-empty \`user_errors_path\` list (Shopify's \`userErrors\`) fail the record as refused, with each field
named (\`customerInfo.contactEmail\`); INTERNAL_SERVER_ERROR, SERVICE_UNAVAILABLE and RATE_LIMITED are
retried by the HTTP stack; CONFLICT or TAKEN are looked up and compared; a mutation the API does not accept
(GRAPHQL_VALIDATION_FAILED) stops the run as a configuration error; anything else fails the record without
calling it refused, since it may have been stored.

**Exactly once.** A mutation is not idempotent: with a \`lookup\` query, ferry never resends one whose first
try may have been applied (a crash, an error after the write, a timeout, a reset) until the lookup says the
record is not there; found and equal is delivered, found and different fails clearly. Without a lookup, only
the idempotency header makes such a resend safe, so configure one of them. Fields marked \`compare: false\`
in the mapping are not compared.`,
    example: `destination:
  type: graphql
  url: \${DEST_GRAPHQL_URL}
  auth:
    type: bearer
    token: \${DEST_TOKEN}
  mutation: |
    mutation CreateOrder($input: OrderInput!) {
      createOrder(input: $input) { order { orderId } userErrors { field message code } }
    }
  value_variable: input
  result_path: createOrder.order.orderId
  user_errors_path: createOrder.userErrors
  lookup:
    query: |
      query Order($id: ID!) {
        order(orderId: $id) { orderId customerInfo { id name contactEmail contactPhone } shippingAddress { line1 city region postalCode } orderDate }
      }
    variables: { id: "{orderId}" }
    result_path: order`,
  },
  create(options, context) {
    const mutation = loadOperation({
      inline: options.mutation,
      file: options.mutation_file,
      option: 'destination.mutation',
      fileOption: 'destination.mutation_file',
      expected: 'mutation',
      operationName: options.operation_name,
      baseDir: context.baseDir,
      variables: { setByFerry: mutationVariables(options), provided: Object.keys(options.variables) },
      prefix: 'destination',
    });
    const lookupOptions = options.lookup;
    const lookupQuery = lookupOptions
      ? loadOperation({
          inline: lookupOptions.query,
          file: lookupOptions.query_file,
          option: 'destination.lookup.query',
          fileOption: 'destination.lookup.query_file',
          expected: 'query',
          operationName: lookupOptions.operation_name,
          baseDir: context.baseDir,
          variables: { setByFerry: [], provided: Object.keys(lookupOptions.variables) },
          prefix: 'destination.lookup',
        })
      : undefined;
    const classOf = createErrorClassifier(options.error_codes);
    const classifyBody = graphqlBodyClassifier(classOf, failedWhole);
    const http = sinkHttp(options, context.concurrency);
    let sink: GraphqlSink | undefined;
    // The retry layer is the one resend loop; a mutation whose first try may have been applied is resent
    // only when the sink's lookup says the record is not there. With a lookup, the header alone never
    // clears that resend: GraphQL APIs often ignore Idempotency-Key.
    const stack = context.http({
      ...http,
      endpoint: ENDPOINT,
      origins: [originOf(options.url)],
      classifyBody,
      idempotencyKeyHeader: lookupOptions ? null : options.idempotency.header,
      canResend: () => sink?.canResend,
      circuitBreaker: {
        ...http.circuitBreaker,
        // Lookups may answer while mutations fail: only sends prove the destination recovered.
        provesRecovery: (request) => request.endpoint === ENDPOINT,
      },
      // Lookups answer far sooner than writes: only the writes' round trips tell the destination's latency.
      concurrencyMeasures: (request) => request.endpoint === ENDPOINT,
    });
    sink = createGraphqlSink({
      url: options.url,
      send: stack.send,
      operation: mutation,
      valueVariable: options.value_variable,
      keyVariable: options.key_variable,
      variables: options.variables,
      resultPath: options.result_path ?? mutation.rootFields[0] ?? '',
      userErrorsPath: options.user_errors_path,
      idempotencyHeader: options.idempotency.header,
      ...(lookupOptions && lookupQuery
        ? {
            lookup: {
              operation: lookupQuery,
              variables: lookupOptions.variables,
              resultPath: lookupOptions.result_path ?? lookupQuery.rootFields[0] ?? '',
              ignoreFields: context.ignoreFields,
            },
          }
        : {}),
      classOf,
      classifyBody,
      headers: options.headers,
      endpoint: ENDPOINT,
    });
    return {
      ...sink,
      prepare: stack.prepare,
      ...(stack.concurrency ? { concurrency: stack.concurrency } : {}),
      ...(lookupOptions
        ? { lookupBeforeSend: lookupBeforeSend(lookupOptions.before_send, options.refuses_duplicates) }
        : {}),
    };
  },
});
