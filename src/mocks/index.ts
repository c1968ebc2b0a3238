/** The bundled mock APIs: a seeded customer source (REST and GraphQL), an OAuth-protected order destination and a SOAP ERP. */
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
export type { ErpFaultOptions } from './erp/erp-faults.ts';
export type { ErpOrder } from './erp/erp-order.ts';
export type { StoredErpOrder } from './erp/erp-store.ts';
export {
  ERP_NAMESPACE,
  ERP_SERVICE_PATH,
  ERP_SOAP_ACTIONS,
  erpWsdlFor,
  loadErpWsdl,
} from './erp/erp-wsdl.ts';
export {
  buildMockErp,
  type ErpStats,
  type MockErp,
  type MockErpHandle,
  type MockErpOptions,
  startMockErp,
} from './erp/mock-erp.ts';
export { type PasswordType, passwordDigest } from './erp/ws-security.ts';
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
