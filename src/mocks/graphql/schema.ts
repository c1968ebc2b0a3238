// No import of graphql here: the routes and the mocks' public exports use these without loading graphql-js.

/** Path of the GraphQL endpoint (POST, and GET for queries). */
export const GRAPHQL_PATH = '/graphql';
/** Path where the SDL of the GraphQL API is served. */
export const GRAPHQL_SDL_PATH = '/graphql/schema.graphql';
/** Most customers one `customers` query may ask for (`first` or `limit`); more is a GraphQL error. */
export const MAX_PAGE_SIZE = 500;
/** Customers a `customers` query returns when it sets neither `first` nor `limit`. */
export const DEFAULT_PAGE_SIZE = 100;

/** The SDL of the mock customer GraphQL API, served at GET /graphql/schema.graphql. */
export const CUSTOMER_GRAPHQL_SDL = `"""
Any JSON value, passed through exactly as the REST API serves it. The data set is dirty on purpose: a
customer_id or a zip code is sometimes a number and sometimes a string, and a String or ID would hide that.
"""
scalar JSON @specifiedBy(url: "https://www.rfc-editor.org/rfc/rfc8259")

type Query {
  """
  Customers in the order of the REST API (GET /api/v1/customers). Page with Relay cursors (first, after)
  or with offsets (offset, limit), not both; first and limit are at most ${MAX_PAGE_SIZE} and default to ${DEFAULT_PAGE_SIZE}.
  updatedSince (RFC 3339 date-time): only the customers whose updated_at is at or after it, ascending by
  updated_at, then position; offsets and cursors then count in that order.
  """
  customers(first: Int, after: String, offset: Int, limit: Int, updatedSince: String): CustomerConnection!

  """The first customer whose customer_id, as a string, equals id; null when there is none."""
  customer(id: ID!): Customer
}

"""A page of customers (Relay connection)."""
type CustomerConnection {
  edges: [CustomerEdge!]!
  "The same customers as edges[].node, without cursors."
  nodes: [Customer]!
  pageInfo: PageInfo!
  "Customers in the whole data set (after updatedSince), not in this page."
  totalCount: Int!
}

type CustomerEdge {
  "Opaque; pass it as after to get the customers that follow this one."
  cursor: String!
  "Null only when this customer failed to load; errors then has an entry with its path."
  node: Customer
}

type PageInfo {
  hasNextPage: Boolean!
  hasPreviousPage: Boolean!
  startCursor: String
  endCursor: String
}

"""
A customer, field for field as the REST API serves it, dirt included. GraphQL cannot tell a missing field
from null: both read as null here.
"""
type Customer {
  "Usually a string; sometimes a number, empty or missing."
  customer_id: JSON
  first_name: String
  last_name: String
  "May be missing, implausible or padded with spaces."
  email: String
  address: Address
  phone: String
  "Only on records with extra fields."
  loyalty_tier: String
  "Only on records with extra fields."
  _internal: JSON
  "RFC 3339 UTC: when the customer last changed."
  updated_at: String
  "RFC 3339 UTC: set once the customer was deleted (it is still listed)."
  deleted_at: String
}

type Address {
  street: String
  city: String
  state: String
  "Usually a string; sometimes a number."
  zip: JSON
}
`;
