// The flagship integration written in TypeScript instead of YAML: the same checks, references and
// secret rules apply. Run it with `npx ferry run examples/customers-to-orders.ts`.
import { defineIntegration, envRef } from 'ferry';

export default defineIntegration({
  version: 1,
  name: 'customers-to-orders',
  source: {
    type: 'rest',
    url: envRef('SOURCE_URL'),
    auth: { type: 'api_key', in: 'header', name: 'X-API-Key', value: envRef('SOURCE_API_KEY', '') },
    pagination: { type: 'auto' },
  },
  mapping: './customers-to-orders.mapping.yaml',
  destination: {
    type: 'rest',
    url: envRef('DEST_URL'),
    auth: {
      type: 'oauth2_client_credentials',
      token_url: envRef('DEST_TOKEN_URL'),
      client_id: envRef('DEST_CLIENT_ID'),
      client_secret: envRef('DEST_CLIENT_SECRET'),
      scope: envRef('DEST_SCOPE', ''),
    },
    idempotency: { header: 'Idempotency-Key' },
    lookup: { url: `${envRef('DEST_URL')}/{orderId}` },
    // The orders API answers a second order with one orderId 409: a new ledger sends without lookups first.
    refuses_duplicates: true,
    concurrency: { adaptive: true, initial: 16, max: 256 },
    responses: [{ status: 409, action: 'conflict' }],
  },
});
