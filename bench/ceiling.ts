import autocannon from 'autocannon';
import type { MockEnv } from './mock-processes.ts';
import { orderDateNow, plainMapping } from './plain-mapping.ts';

/** What the load generator achieved against the destination. */
export interface CeilingResult {
  requests: number;
  created: number;
  non2xx: number;
  errors: number;
  durationMs: number;
  postsPerSec: number;
  /** CPU time autocannon used (this process, all threads, user plus system) from its start to its end, in ms. */
  cpuMs: number;
}

/** What autocannon sends: the distinct order bodies, a token and the destination. */
export interface CeilingRequests {
  bodies: readonly { orderId: string; body: string }[];
  token: string;
  url: URL;
}

/** Fetches every customer and builds the distinct order bodies the flagship would send, serialised. */
export async function buildOrderBodies(env: MockEnv): Promise<{ orderId: string; body: string }[]> {
  const response = await fetch(env.SOURCE_URL, { headers: { 'X-API-Key': env.SOURCE_API_KEY } });
  const customers = (await response.json()) as Record<string, unknown>[];
  const orderDate = orderDateNow();
  const seen = new Set<string>();
  const bodies: { orderId: string; body: string }[] = [];
  for (const customer of customers) {
    const order = plainMapping(customer, orderDate);
    // Duplicated customers would draw a 409; the ceiling sends each order once.
    if (order === null || seen.has(order.orderId)) continue;
    seen.add(order.orderId);
    bodies.push({ orderId: order.orderId, body: JSON.stringify(order) });
  }
  return bodies;
}

/** Gets a bearer token with client_secret_basic, as ferry does. */
export async function fetchToken(env: MockEnv): Promise<string> {
  const basic = Buffer.from(`${env.DEST_CLIENT_ID}:${env.DEST_CLIENT_SECRET}`).toString('base64');
  const response = await fetch(env.DEST_TOKEN_URL, {
    method: 'POST',
    headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
  const body = (await response.json()) as { access_token: string };
  return body.access_token;
}

/** Builds what the ceiling sends, once: the same bodies serve every round against a reset destination. */
export async function prepareCeiling(env: MockEnv): Promise<CeilingRequests> {
  return { bodies: await buildOrderBodies(env), token: await fetchToken(env), url: new URL(env.DEST_URL) };
}

/**
 * The raw ceiling: autocannon POSTs the pre-built bodies (unique orderId and Idempotency-Key each) to the
 * same mock destination, with the same concurrency and a valid token: nothing but HTTP and the mock's own
 * validation and storage.
 */
export async function measureCeiling(
  { bodies, token, url }: CeilingRequests,
  connections: number,
): Promise<CeilingResult> {
  let next = 0;
  // Timed from the first request built to the last response read: autocannon's own `duration` counts whole
  // ticks, and its promise resolves only on its next one-second tick, so timing the await made any run of
  // under a second look like exactly one second (20,000 orders "at 19,000/s" that took 0.4 to 0.7 s).
  let firstSentAt: number | undefined;
  let lastAnsweredAt = 0;
  const cpuBefore = process.cpuUsage();
  const result = await autocannon({
    url: url.origin,
    connections,
    amount: bodies.length,
    requests: [
      {
        method: 'POST',
        path: url.pathname,
        setupRequest(request) {
          firstSentAt ??= performance.now();
          // Past the end (autocannon may ask once more per connection) resend the last body: it replays.
          const item = bodies[Math.min(next++, bodies.length - 1)]!;
          request.headers = {
            authorization: `Bearer ${token}`,
            'content-type': 'application/json',
            'idempotency-key': item.orderId,
          };
          request.body = item.body;
          return request;
        },
        onResponse() {
          lastAnsweredAt = performance.now();
        },
      },
    ],
  });
  const cpu = process.cpuUsage(cpuBefore);
  const created = result.statusCodeStats['201']?.count ?? 0;
  const durationMs = lastAnsweredAt - (firstSentAt ?? lastAnsweredAt);
  return {
    requests: result.requests.total,
    created: Number(created),
    non2xx: result.non2xx,
    errors: result.errors,
    durationMs,
    postsPerSec: result.requests.total / (durationMs / 1000),
    cpuMs: (cpu.user + cpu.system) / 1000,
  };
}
