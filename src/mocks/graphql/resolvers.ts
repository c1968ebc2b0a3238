import { GraphQLError } from 'graphql';
import type { CustomerBook } from '../customer-book.ts';
import type { MockCustomer } from '../customer-data.ts';
import type { RequestStats } from '../request-stats.ts';
import type { GraphqlFault } from '../traffic-guards.ts';
import { encodeCursor } from './customer-cursor.ts';
import { type PageArgs, pageWindow } from './page-window.ts';

/** What every resolver of one request sees: the GraphQL fault that request drew, if any. */
// A type, not an interface: graphql-http wants a context assignable to Record<PropertyKey, unknown>.
export type GraphqlContext = {
  fault: GraphqlFault | undefined;
};

/** The data set and counters the resolvers serve from. */
export interface CustomerResolverOptions {
  /** The data set as it stands (seeded, then churned), shared with the REST endpoint. */
  book: CustomerBook;
  stats: RequestStats;
}

interface CustomersArgs extends PageArgs {
  updatedSince?: string | null;
}

// RFC 3339 date-time: what an incremental reader sends; Date.parse alone would accept "March 7".
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

function parseSince(value: string): number {
  const ms = RFC3339.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new GraphQLError(
      `updatedSince: expected an RFC 3339 date-time such as 2026-01-31T09:00:00Z, got "${value.slice(0, 80)}"`,
      { extensions: { code: 'BAD_USER_INPUT', argument: 'updatedSince' } },
    );
  }
  return ms;
}

/** The error in place of the customer a partial-data fault fails; graphql-js nulls it and adds its path. */
function loadFailure(index: number): GraphQLError {
  return new GraphQLError(`customer at offset ${index} could not be loaded (injected partial failure)`, {
    extensions: { code: 'INTERNAL_SERVER_ERROR' },
  });
}

/**
 * The root resolvers of the customer GraphQL API over the same seeded data set as the REST API, in the
 * same order. A `graphql_partial` fault replaces one customer of the page with an error.
 */
export function createCustomerResolvers(options: CustomerResolverOptions) {
  const { book, stats } = options;
  return {
    customers(args: CustomersArgs, context: GraphqlContext) {
      // With updatedSince, the customers changed since, ascending by updated_at then position; offsets and
      // cursors count in that order.
      const changed =
        args.updatedSince == null
          ? null
          : Array.from(book.changedSince(parseSince(args.updatedSince)), (placed) => placed.index);
      const total = changed === null ? book.size() : changed.length;
      const { start, end } = pageWindow(args, total);
      const page: (MockCustomer | GraphQLError)[] = [];
      for (let i = start; i < end; i++) page.push(book.at(changed === null ? i : changed[i]!));
      let served = page.length;
      if (context.fault?.kind === 'graphql_partial' && page.length > 0) {
        const failing = Math.floor(context.fault.at * page.length);
        page[failing] = loadFailure(start + failing);
        stats.add('graphqlPartials');
        served--;
      }
      stats.add('customersServed', served);
      return {
        totalCount: total,
        nodes: page,
        edges: () => page.map((node, i) => ({ cursor: encodeCursor(start + i), node })),
        pageInfo: {
          hasNextPage: end < total,
          hasPreviousPage: start > 0,
          startCursor: page.length > 0 ? encodeCursor(start) : null,
          endCursor: page.length > 0 ? encodeCursor(end - 1) : null,
        },
      };
    },
    customer(args: { id: string }, context: GraphqlContext) {
      const index = /^[1-9]\d*$/.test(args.id) ? Number(args.id) - 1 : -1;
      // Record i has id i + 1 unless dirt removed or emptied it; a duplicate repeats the one before it,
      // so the first record with an id is always at that index.
      if (index < 0 || index >= book.size()) return null;
      const customer = book.at(index);
      if (String(customer.customer_id) !== args.id) return null;
      if (context.fault?.kind === 'graphql_partial') {
        stats.add('graphqlPartials');
        return loadFailure(index);
      }
      stats.add('customersServed');
      return customer;
    },
  };
}
