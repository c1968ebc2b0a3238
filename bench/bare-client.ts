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
import { Agent } from 'undici';
import { dispatchOrder } from './dispatch-order.ts';

interface Input {
  bodies: { orderId: string; body: string }[];
  token: string;
  url: string;
  connections: number;
}

const { bodies, token, url, connections } = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as Input;
const target = new URL(url);
const agent = new Agent({ connections });

let next = 0;
let created = 0;
let lastAnsweredAt = 0;
async function worker(): Promise<void> {
  while (next < bodies.length) {
    const { orderId, body } = bodies[next++]!;
    if ((await dispatchOrder(agent, target, token, orderId, body)) === 201) created++;
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
