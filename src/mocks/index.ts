/** The bundled mock APIs: a seeded customer source (REST and GraphQL) and an OAuth-protected order destination. */
export {
  customerAt,
  type DirtKind,
  dirtAt,
  INVALID_DIRT,
  type MockAddress,
  type MockCustomer,
} from './customer-data.ts';
export {
  distinctValidCustomerIds,
  type ExpectedCustomers,
  expectedCustomers,
  expectedQuarantined,
  isPlausibleEmail,
  isQuarantined,
  type QuarantineReason,
  quarantineReasons,
} from './customer-rules.ts';
export type { FaultOptions, RetryAfterForm } from './fault-options.ts';
export {
  CUSTOMER_GRAPHQL_SDL,
  GRAPHQL_PATH,
  GRAPHQL_SDL_PATH,
  MAX_PAGE_SIZE as GRAPHQL_MAX_PAGE_SIZE,
} from './graphql/schema.ts';
export {
  buildMockDestination,
  type DestinationStats,
  type MockDestination,
  type MockDestinationHandle,
  type MockDestinationOptions,
  ORDERS_PATH,
  startMockDestination,
  TOKEN_PATH,
} from './mock-destination.ts';
export {
  buildMockSource,
  CUSTOMERS_PATH,
  type MockSource,
  type MockSourceHandle,
  type MockSourceOptions,
  type SourceStats,
  startMockSource,
} from './mock-source.ts';
export { EXAMPLE_ORDER, loadOrderSchema, type MockOrder } from './order-schema.ts';
