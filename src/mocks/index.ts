/** The bundled mock APIs: a seeded customer source and an OAuth-protected order destination. */
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
