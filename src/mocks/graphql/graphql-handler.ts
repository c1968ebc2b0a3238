import type { RouteHandler } from 'fastify';
import { buildSchema, type ExecutionArgs, execute, GraphQLError } from 'graphql';
import { createHandler } from 'graphql-http/lib/use/fastify';
import type { GraphqlRouteOptions } from './register-graphql.ts';
import { createCustomerResolvers, type GraphqlContext } from './resolvers.ts';
import { CUSTOMER_GRAPHQL_SDL } from './schema.ts';

/**
 * The GraphQL-over-HTTP handler (graphql-http) of the customer API: the schema, the resolvers, and the
 * whole-request GraphQL fault, which replaces execution once the query has parsed and validated.
 */
export function createGraphqlHandler(options: GraphqlRouteOptions): RouteHandler {
  const { stats, guards } = options;
  return createHandler<GraphqlContext>({
    // The JSON scalar needs no code: a scalar built from SDL passes values through unchanged, which is
    // exactly what keeps the dirty records dirty.
    schema: buildSchema(CUSTOMER_GRAPHQL_SDL),
    rootValue: createCustomerResolvers(options),
    context: (request) => ({ fault: guards.graphqlFault(request.raw) }),
    // Checked after parsing and validation, so a broken query still gets its own errors first.
    execute: (args: ExecutionArgs) => {
      if ((args.contextValue as GraphqlContext).fault?.kind !== 'graphql_error') return execute(args);
      stats.add('graphqlErrors');
      const message = 'the customer service is temporarily unavailable (injected GraphQL error); retry';
      return {
        data: null,
        errors: [new GraphQLError(message, { extensions: { code: 'SERVICE_UNAVAILABLE' } })],
      };
    },
  });
}
