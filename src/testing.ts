/**
 * `ferry/testing`: the bundled mock APIs (customers over REST and GraphQL, orders with OAuth, the SOAP ERP)
 * with seeded faults, for tests and demos. Kept out of the main entry so importing ferry loads no server.
 */
export * from './mocks/index.ts';
