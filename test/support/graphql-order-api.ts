import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildSchema, GraphQLError } from 'graphql';
import { createHandler } from 'graphql-http';

/** An order as the GraphQL order API stores it: the flagship's order shape. */
export interface GraphqlOrder {
  orderId: string;
  customerInfo: { id: string; name: string; contactEmail: string; contactPhone?: string | null };
  shippingAddress: { line1: string; city: string; region: string; postalCode: string };
  orderDate: string;
}

/** What the API does to one createOrder call, decided per call. */
export type MutationFault =
  /** Stores the order, then answers `createOrder: null` with an INTERNAL_SERVER_ERROR error. */
  | 'error_after_store'
  /** Stores the order, then destroys the connection without an answer. */
  | 'drop_after_store'
  /** Answers `data: null` with SERVICE_UNAVAILABLE before storing anything. */
  | 'unavailable';

/** How the GraphQL order API behaves. */
export interface GraphqlOrderApiOptions {
  /** Bearer token required on every request; none required when unset. */
  readonly token?: string;
  /** Replays the saved answer for a repeated Idempotency-Key. @default false */
  readonly honourIdempotency?: boolean;
  /**
   * How a second order with a stored orderId is refused: a `userErrors` entry with code TAKEN (Shopify's
   * way), or a top-level error with code CONFLICT. @default "user_error"
   */
  readonly duplicates?: 'user_error' | 'error';
  /** The fault for the n-th createOrder call (1-based), if any. */
  readonly fault?: (call: number, input: GraphqlOrder) => MutationFault | undefined;
}

/** A running GraphQL order API. */
export interface GraphqlOrderApi {
  readonly url: string;
  /** Every order stored, in arrival order. */
  orders(): readonly GraphqlOrder[];
  /** createOrder calls and lookups answered. */
  stats(): { readonly mutations: number; readonly lookups: number; readonly stored: number };
  close(): Promise<void>;
}

export const ORDER_SDL = `
input CustomerInfoInput { id: String! name: String! contactEmail: String! contactPhone: String }
input ShippingAddressInput { line1: String! city: String! region: String! postalCode: String! }
input OrderInput {
  orderId: ID!
  customerInfo: CustomerInfoInput!
  shippingAddress: ShippingAddressInput!
  orderDate: String!
}
type CustomerInfo { id: String! name: String! contactEmail: String! contactPhone: String }
type ShippingAddress { line1: String! city: String! region: String! postalCode: String! }
type Order { orderId: ID! customerInfo: CustomerInfo! shippingAddress: ShippingAddress! orderDate: String! }
type UserError { field: [String!] message: String! code: String }
type CreateOrderPayload { order: Order userErrors: [UserError!]! }
type Query { order(orderId: ID!): Order }
type Mutation { createOrder(input: OrderInput!): CreateOrderPayload }
`;

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

// A type, not an interface: graphql-http wants a context assignable to Record<PropertyKey, unknown>.
type RequestContext = {
  drop: boolean;
};

/**
 * A GraphQL order API for tests, on graphql-js and graphql-http (the reference implementations) over
 * node:http, storing orders in memory. It refuses a bad email as BAD_USER_INPUT naming the field, a repeated
 * orderId as a userError (or a CONFLICT error), and can fail after storing, to prove reconciliation.
 */
export async function startGraphqlOrderApi(options: GraphqlOrderApiOptions = {}): Promise<GraphqlOrderApi> {
  const orders: GraphqlOrder[] = [];
  const byId = new Map<string, GraphqlOrder>();
  const saved = new Map<string, { request: string; body: string; status: number }>();
  let mutations = 0;
  let lookups = 0;

  const rootValue = {
    order({ orderId }: { orderId: string }) {
      lookups++;
      return byId.get(orderId) ?? null;
    },
    createOrder({ input }: { input: GraphqlOrder }, context: RequestContext) {
      mutations++;
      const fault = options.fault?.(mutations, input);
      if (fault === 'unavailable') {
        throw new GraphQLError('the order service is unavailable; retry', {
          extensions: { code: 'SERVICE_UNAVAILABLE' },
        });
      }
      if (!EMAIL.test(input.customerInfo.contactEmail)) {
        throw new GraphQLError('contactEmail is not a plausible email address', {
          extensions: { code: 'BAD_USER_INPUT', field: ['input', 'customerInfo', 'contactEmail'] },
        });
      }
      if (byId.has(input.orderId)) {
        const message = `orderId ${input.orderId} has already been taken`;
        if (options.duplicates === 'error') {
          throw new GraphQLError(message, { extensions: { code: 'CONFLICT', field: 'orderId' } });
        }
        return { order: null, userErrors: [{ field: ['input', 'orderId'], message, code: 'TAKEN' }] };
      }
      // A plain copy: graphql-js hands input objects over with a null prototype.
      const order = JSON.parse(JSON.stringify(input)) as GraphqlOrder;
      orders.push(order);
      byId.set(order.orderId, order);
      if (fault === 'error_after_store') {
        throw new GraphQLError('the order service failed after saving (injected)', {
          extensions: { code: 'INTERNAL_SERVER_ERROR' },
        });
      }
      if (fault === 'drop_after_store') context.drop = true;
      return { order, userErrors: [] };
    },
  };

  const handler = createHandler<IncomingMessage, RequestContext, RequestContext>({
    schema: buildSchema(ORDER_SDL),
    rootValue,
    context: (request) => request.context,
  });

  const server = createServer(async (request, response) => {
    const text = await readBody(request);
    if (options.token !== undefined && request.headers.authorization !== `Bearer ${options.token}`) {
      response.writeHead(401, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          errors: [{ message: 'not authenticated', extensions: { code: 'UNAUTHENTICATED' } }],
        }),
      );
      return;
    }
    const key = options.honourIdempotency ? request.headers['idempotency-key'] : undefined;
    const replay = typeof key === 'string' ? saved.get(key) : undefined;
    if (replay) {
      const status = replay.request === text ? replay.status : 422;
      const body =
        replay.request === text
          ? replay.body
          : JSON.stringify({
              errors: [
                {
                  message: 'idempotency key reused with another body',
                  extensions: { code: 'IDEMPOTENCY_KEY_REUSED' },
                },
              ],
            });
      response.writeHead(status, { 'content-type': 'application/json' }).end(body);
      return;
    }
    const context: RequestContext = { drop: false };
    const [body, init] = await handler({
      method: request.method ?? 'GET',
      url: request.url ?? '/',
      headers: request.headers,
      body: text,
      raw: request,
      context,
    });
    if (typeof key === 'string' && init.status === 200)
      saved.set(key, { request: text, body: body ?? '', status: 200 });
    if (context.drop) {
      response.destroy();
      return;
    }
    response.writeHead(init.status, init.headers ?? {}).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    orders: () => orders,
    stats: () => ({ mutations, lookups, stored: orders.length }),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function readBody(request: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of request) text += chunk;
  return text;
}
