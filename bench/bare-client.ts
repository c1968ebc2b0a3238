/**
 * A reference for scenario 1: ferry's HTTP library and nothing else, in a process of its own as ferry runs.
 * POSTs the pre-built order bodies (the same the ceiling sends) with undici's `dispatch()`, the call ferry's
 * transport makes, `connections` at a time; no mapping, no ledger, no retries. It tells how much of the gap
 * between ferry and autocannon (which runs warm, inside the bench process) a fresh process's JIT warm-up of
 * the HTTP client alone already opens.
 *
 * Run: `npx node bench/bare-client.ts FILE`, FILE holding { bodies, token, url, connections }. Prints one JSON
 * line: requests, created, durationMs (first request to last response) and cpuMs (this process, all threads,
 * over the same span: start-up and loading the bodies excluded, as ferry's fixed cost is).
 */
import { readFileSync } from 'node:fs';
import { Agent, type Dispatcher } from 'undici';

interface Input {
  bodies: { orderId: string; body: string }[];
  token: string;
  url: string;
  connections: number;
}

const { bodies, token, url, connections } = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as Input;
const { origin, pathname } = new URL(url);
const agent = new Agent({ connections });

/** One POST through `dispatch()`; resolves with the status once the whole response has been read. */
function post(item: Input['bodies'][number]): Promise<number> {
  return new Promise((resolve, reject) => {
    let status = 0;
    const handler: Dispatcher.DispatchHandler = {
      onRequestStart() {},
      onResponseStart(_controller, statusCode) {
        status = statusCode;
      },
      onResponseData() {},
      onResponseEnd() {
        resolve(status);
      },
      onResponseError(_controller, error) {
        reject(error);
      },
    };
    const headers = {
      authorization: `Bearer ${token}`,
      'content-type': 'application/json',
      'idempotency-key': item.orderId,
    };
    agent.dispatch({ origin, path: pathname, method: 'POST', headers, body: item.body }, handler);
  });
}

let next = 0;
let created = 0;
let lastAnsweredAt = 0;
async function worker(): Promise<void> {
  while (next < bodies.length) {
    if ((await post(bodies[next++]!)) === 201) created++;
    lastAnsweredAt = performance.now();
  }
}

const cpuBefore = process.cpuUsage();
const firstSentAt = performance.now();
await Promise.all(Array.from({ length: connections }, worker));
const cpu = process.cpuUsage(cpuBefore);
await agent.close();
process.stdout.write(
  `${JSON.stringify({
    requests: bodies.length,
    created,
    durationMs: lastAnsweredAt - firstSentAt,
    cpuMs: (cpu.user + cpu.system) / 1000,
  })}\n`,
);
