// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${...} is the config reference syntax written into files
import { writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { repoRoot } from './ferry-cli.ts';

/** The flagship's mapping, shared by the integrations the serve tests write. */
export const flagshipMapping = join(repoRoot, 'examples/customers-to-orders.mapping.yaml');

/** A Standard Webhooks secret for tests (whsec_ + base64). */
export const TEST_WEBHOOK_SECRET = 'whsec_dGVzdC13ZWJob29rLXNlY3JldC0xMjM0NTY3OA==';

/** The destination block of the flagship, reading DEST_* (or another prefix's) variables. */
export function destinationYaml(extra = '', prefix = 'DEST'): string {
  return `destination:
  type: rest
  url: \${${prefix}_URL}
  auth:
    type: oauth2_client_credentials
    token_url: \${${prefix}_TOKEN_URL}
    client_id: \${${prefix}_CLIENT_ID}
    client_secret: \${${prefix}_CLIENT_SECRET}
  idempotency:
    header: Idempotency-Key
  lookup:
    url: "\${${prefix}_URL}/{orderId}"
    before_send: never
  circuit_breaker:
    max_wait_for_first_answer: 2s
  responses:
    - status: 409
      action: conflict
${extra}`;
}

/** Writes a webhook integration (Standard Webhooks, WEBHOOK_SECRET, the flagship's mapping) into `dir`. */
export async function writeWebhookIntegration(
  dir: string,
  name: string,
  options: { maxPending?: number; schedule?: string; destination?: string; file?: string } = {},
): Promise<string> {
  const file = join(dir, options.file ?? `${name}.yaml`);
  await writeFile(
    file,
    `version: 1
name: ${name}
source:
  type: webhook
  signature:
    scheme: standard_webhooks
    secrets:
      - \${WEBHOOK_SECRET}
  event_types: [customer.created, customer.updated]
  record_path: data
  version_path: timestamp
  max_pending: ${options.maxPending ?? 1000}
  max_body: 64kb
  end_after_idle: 300ms
mapping: ${flagshipMapping}
${options.destination ?? destinationYaml()}
${options.schedule ?? ''}
`,
  );
  return file;
}

/** Writes the flagship polling the customer API (SOURCE_*), with an optional `schedule:` block. */
export async function writePolledIntegration(
  dir: string,
  name: string,
  options: { schedule?: string; destination?: string } = {},
): Promise<string> {
  const file = join(dir, `${name}.yaml`);
  await writeFile(
    file,
    `version: 1
name: ${name}
source:
  type: rest
  url: \${SOURCE_URL}
  auth:
    type: api_key
    in: header
    name: X-API-Key
    value: \${SOURCE_API_KEY}
  records_path: ""
mapping: ${flagshipMapping}
${options.destination ?? destinationYaml()}
${options.schedule ?? ''}
`,
  );
  return file;
}

/** The headers of a Standard Webhooks request, signed by the specification's reference library. */
export function signEvent(
  body: string,
  options: { id: string; secret?: string; atSeconds?: number },
): Record<string, string> {
  const seconds = options.atSeconds ?? Math.floor(Date.now() / 1000);
  return {
    'content-type': 'application/json',
    'webhook-id': options.id,
    'webhook-timestamp': String(seconds),
    'webhook-signature': new Webhook(options.secret ?? TEST_WEBHOOK_SECRET).sign(
      options.id,
      new Date(seconds * 1000),
      body,
    ),
  };
}

/** A customer event body as the example integration takes it. */
export function customerEvent(
  customer: Record<string, unknown>,
  options: { type?: string; timestamp?: string } = {},
): string {
  return JSON.stringify({
    type: options.type ?? 'customer.created',
    timestamp: options.timestamp ?? new Date().toISOString(),
    data: customer,
  });
}

/** A valid customer of the flagship's shape. */
export function customer(id: string, street = '1 Main St'): Record<string, unknown> {
  return {
    customer_id: id,
    first_name: 'Ada',
    last_name: 'Lovelace',
    email: `ada.${id}@example.com`,
    address: { street, city: 'London', state: 'LN', zip: '12345' },
  };
}

/** A loopback server that accepts connections and never answers, until closed: a destination that hangs. */
export async function startHangingServer(): Promise<{
  url: string;
  requests: () => number;
  close: () => Promise<void>;
}> {
  let requests = 0;
  const server: Server = createServer(() => {
    requests++;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Waits until `condition` holds, checking it every 20 ms; fails with `what` after `timeoutMs`. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
