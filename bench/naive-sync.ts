/**
 * The baseline: the sequential script a competent person writes in 45 minutes. Fetch every customer with
 * the API key, map in plain code, get an OAuth token, POST the orders one by one with fetch. No retries,
 * no ledger, no concurrency; not sabotaged either (one token, keep-alive fetch, bodies read).
 *
 * Reads the same environment as the flagship (plus NAIVE_LIMIT to stop early); prints one JSON line: records, delivered, skipped,
 * conflicts, failed, durationMs. Run: `npx node bench/naive-sync.ts` with the mock's export lines set.
 */
import { orderDateNow, plainMapping } from './plain-mapping.ts';

function need(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

const started = performance.now();
const customersResponse = await fetch(need('SOURCE_URL'), {
  headers: { 'X-API-Key': need('SOURCE_API_KEY'), accept: 'application/json' },
});
if (!customersResponse.ok) throw new Error(`customers: HTTP ${customersResponse.status}`);
// NAIVE_LIMIT (not something the candidate would write) bounds the bench's run against a slow destination.
const limit = Number(process.env.NAIVE_LIMIT ?? Number.POSITIVE_INFINITY);
const customers = ((await customersResponse.json()) as Record<string, unknown>[]).slice(0, limit);

const basic = Buffer.from(`${need('DEST_CLIENT_ID')}:${need('DEST_CLIENT_SECRET')}`).toString('base64');
const tokenResponse = await fetch(need('DEST_TOKEN_URL'), {
  method: 'POST',
  headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
  body: 'grant_type=client_credentials',
});
if (!tokenResponse.ok) throw new Error(`token: HTTP ${tokenResponse.status}`);
const { access_token: token } = (await tokenResponse.json()) as { access_token: string };

const destination = need('DEST_URL');
const orderDate = orderDateNow();
let delivered = 0;
let skipped = 0;
let conflicts = 0;
let failed = 0;
for (const customer of customers) {
  const order = plainMapping(customer, orderDate);
  if (order === null) {
    skipped++;
    continue;
  }
  const response = await fetch(destination, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      'idempotency-key': order.orderId,
    },
    body: JSON.stringify(order),
  });
  await response.text();
  if (response.ok) delivered++;
  else if (response.status === 409) conflicts++;
  else failed++;
}
const durationMs = performance.now() - started;
process.stdout.write(
  `${JSON.stringify({ records: customers.length, delivered, skipped, conflicts, failed, durationMs })}\n`,
);
