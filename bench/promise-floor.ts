/**
 * A reference for scenario 1: the least a client keeping ferry's promise does per record, in a process of
 * its own as ferry runs. It reads the source's pages (the next one while the last is sent), maps each customer
 * in plain code (bench/plain-mapping.ts), hashes the body, marks each chunk of 32 in flight in a SQLite ledger
 * before sending it (WAL, synchronous NORMAL, as ferry's), POSTs through undici's `dispatch()`, `connections`
 * at a time, and writes each final state in a group commit 5 ms later. No schema checks, no retries, no rate
 * limiter, no history, no metrics, no logs: what no engine can leave out, to tell how far ferry's CPU per
 * record is from what the promise itself costs.
 *
 * Run: `npx node bench/promise-floor.ts FILE`, FILE holding { sourceUrl, apiKey, token, destUrl, connections,
 * perPage }. Prints one JSON line: delivered and cpuMs (this process, all threads, from its first request to
 * its last commit: start-up excluded, as ferry's fixed cost is).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { Agent, request } from 'undici';
import { dispatchOrder } from './dispatch-order.ts';
import { orderDateNow, plainMapping } from './plain-mapping.ts';

interface Input {
  sourceUrl: string;
  apiKey: string;
  token: string;
  destUrl: string;
  connections: number;
  perPage: number;
}

type LedgerRow = [key: string, state: string, bodyHash: string | null];

const CHUNK = 32;
const GROUP_COMMIT_MS = 5;

const input = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as Input;
const dir = mkdtempSync(join(tmpdir(), 'ferry-bench-floor-'));
const db = new DatabaseSync(join(dir, 'ledger.db'));
db.exec('PRAGMA journal_mode = WAL');
db.exec('PRAGMA synchronous = NORMAL');
db.exec(`CREATE TABLE records (key TEXT PRIMARY KEY, state TEXT NOT NULL, body_hash TEXT,
  updated_at INTEGER NOT NULL) WITHOUT ROWID`);
const upsert = db.prepare(`INSERT INTO records (key, state, body_hash, updated_at) VALUES (?, ?, ?, ?)
  ON CONFLICT (key) DO UPDATE SET state = excluded.state,
  body_hash = coalesce(excluded.body_hash, body_hash), updated_at = excluded.updated_at`);

function write(rows: readonly LedgerRow[]): void {
  const at = Date.now();
  db.exec('BEGIN IMMEDIATE');
  for (const [key, state, bodyHash] of rows) upsert.run(key, state, bodyHash, at);
  db.exec('COMMIT');
}

let finals: LedgerRow[] = [];
let commitTimer: NodeJS.Timeout | undefined;
function commitFinals(): void {
  commitTimer = undefined;
  const rows = finals;
  finals = [];
  if (rows.length > 0) write(rows);
}
function settle(row: LedgerRow): void {
  finals.push(row);
  commitTimer ??= setTimeout(commitFinals, GROUP_COMMIT_MS);
}

const agent = new Agent({ connections: input.connections });
const destination = new URL(input.destUrl);

async function readPage(page: number): Promise<Record<string, unknown>[]> {
  const response = await request(`${input.sourceUrl}?page=${page}&per_page=${input.perPage}`, {
    dispatcher: agent,
    headers: { 'x-api-key': input.apiKey },
  });
  return (await response.body.json()) as Record<string, unknown>[];
}

let inFlight = 0;
const slotWaiters: (() => void)[] = [];
async function takeSlot(): Promise<void> {
  while (inFlight >= input.connections) await new Promise<void>((resolve) => slotWaiters.push(resolve));
  inFlight++;
}
function releaseSlot(): void {
  inFlight--;
  slotWaiters.shift()?.();
}

const cpuBefore = process.cpuUsage();
const orderDate = orderDateNow();
const seen = new Set<string>();
const sends: Promise<void>[] = [];
let delivered = 0;
let next = readPage(1);
for (let page = 1; ; page++) {
  const customers = await next;
  if (customers.length === 0) break;
  if (customers.length === input.perPage) next = readPage(page + 1);
  const outgoing: { key: string; orderId: string; body: string; hash: string }[] = [];
  for (const customer of customers) {
    const key = String(customer.customer_id);
    const order = plainMapping(customer, orderDate);
    if (order === null || seen.has(order.orderId)) {
      settle([key, 'skipped', null]);
      continue;
    }
    seen.add(order.orderId);
    const body = JSON.stringify(order);
    const hash = createHash('sha256').update(body).digest('base64url');
    outgoing.push({ key, orderId: order.orderId, body, hash });
  }
  for (let i = 0; i < outgoing.length; i += CHUNK) {
    const chunk = outgoing.slice(i, i + CHUNK);
    write(chunk.map(({ key, hash }) => [key, 'in_flight', hash]));
    for (const { key, orderId, body } of chunk) {
      await takeSlot();
      const sent = dispatchOrder(agent, destination, input.token, orderId, body).then((status) => {
        releaseSlot();
        const ok = status === 201 || status === 409;
        if (ok) delivered++;
        settle([key, ok ? 'delivered' : 'failed', null]);
      });
      sends.push(sent);
    }
  }
  if (customers.length < input.perPage) break;
}
await Promise.all(sends);
clearTimeout(commitTimer);
commitFinals();
const cpu = process.cpuUsage(cpuBefore);
db.close();
await agent.close();
rmSync(dir, { recursive: true, force: true });
process.stdout.write(`${JSON.stringify({ delivered, cpuMs: (cpu.user + cpu.system) / 1000 })}\n`);
