/**
 * The delivery-guarantee figures of issue 3 ("Done when"), reproducibly, against the bundled mocks
 * (in-process, seeded) and the real CLI (spawned on this Node 24):
 *
 *   1. faults:  N customers (default 5,000) against 10% 5xx, 5% 429 (Retry-After as seconds and as an
 *               HTTP-date), 2% lost acknowledgements and 2-second tokens: delivered exactly once?
 *   2. crash:   three SIGKILLs at seeded moments during a run of N customers, then a rerun, for the
 *               Idempotency-Key destination and the lookup-only one: orders missing or duplicated?
 *   3. rate:    a destination limited to 300 requests/s: achieved rate over the limit, share of 429s.
 *
 * Usage: npx node bench/guarantees.ts [--only faults,crash,rate] [--customers N] [--rate-customers N]
 *        [--retry-after-seconds S]
 * Prints a table and writes bench/results/guarantees.json. Every expectation comes from the mock data
 * set alone (src/mocks), never from what ferry reports.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { expectedCustomers } from '../src/mocks/index.ts';
import { createRandom, hashSeed } from '../src/mocks/prng.ts';
import { auditOrders, parseReport } from '../test/guarantees/audit-orders.ts';
import { killDuringRun } from '../test/guarantees/kill-during-run.ts';
import { flagshipConfig, runFerry } from '../test/support/ferry-cli.ts';
import { type FlagshipMocks, startFlagshipMocks } from '../test/support/flagship-mocks.ts';

const lookupOnlyConfig = fileURLToPath(
  new URL('../test/guarantees/fixtures/customers-to-orders.lookup-only.yaml', import.meta.url),
);
const resultsFile = fileURLToPath(new URL('./results/guarantees.json', import.meta.url));

const { values: args } = parseArgs({
  options: {
    only: { type: 'string', default: 'faults,crash,rate' },
    customers: { type: 'string', default: '5000' },
    'rate-customers': { type: 'string', default: '6000' },
    'retry-after-seconds': { type: 'string', default: '1' },
    seed: { type: 'string', default: '42' },
  },
});
const only = new Set(args.only.split(','));
const customers = Number(args.customers);
const rateCustomers = Number(args['rate-customers']);
const retryAfterSeconds = Number(args['retry-after-seconds']);
const seed = Number(args.seed);

const stateDirs: string[] = [];
async function freshState(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-bench-guarantees-'));
  stateDirs.push(dir);
  return dir;
}
const runArgs = (config: string, state: string) => [
  'run',
  config,
  '--state',
  state,
  '--json',
  '--no-progress',
  '--log-level',
  'error',
];
const postsOf = (mocks: FlagshipMocks): Record<string, number> =>
  mocks.destination.stats().requests['POST /api/v2/orders'] ?? {};
const sum = (counts: Record<string, number>): number => Object.values(counts).reduce((a, b) => a + b, 0);
const lookupsOf = (mocks: FlagshipMocks): number =>
  sum(mocks.destination.stats().requests['GET /api/v2/orders/:orderId'] ?? {});
const log = (text: string) => process.stderr.write(`[guarantees] ${text}\n`);

/** 1. The issue's fault mix over `count` customers. */
async function faultsScenario(count: number) {
  const mocks = await startFlagshipMocks({
    count,
    seed,
    perPage: 100,
    tokenTtlSeconds: 2,
    destinationFaults: {
      errorRate: 0.1,
      rateLimitedRate: 0.05,
      lostAckRate: 0.02,
      retryAfter: 'mixed',
      retryAfterSeconds,
    },
  });
  try {
    const started = Date.now();
    const result = await runFerry(runArgs(flagshipConfig, await freshState()), { env: mocks.env });
    const durationMs = Date.now() - started;
    const report = parseReport(result.stdout, result.stderr) as ReturnType<typeof parseReport> & {
      retries?: number;
      tokenRefreshes?: number;
    };
    const expected = expectedCustomers(seed, count);
    const audit = auditOrders(mocks.destination.orders(), seed, count);
    const stats = mocks.destination.stats();
    const posts = postsOf(mocks);
    return {
      customers: count,
      faults: `10% 5xx, 5% 429 (Retry-After ${retryAfterSeconds}s, seconds|http-date), 2% lost acks, 2 s tokens`,
      exitCode: result.code,
      durationMs,
      counts: report.counts,
      expectedOrders: audit.expected,
      expectedQuarantined: expected.quarantined,
      ordersStored: audit.stored,
      missing: audit.missing.length,
      duplicated: audit.duplicated.length,
      unexpected: audit.unexpected.length,
      postRequests: sum(posts),
      answered429: posts['429'] ?? 0,
      answered5xx: (posts['500'] ?? 0) + (posts['503'] ?? 0),
      lostAcks: stats.lostAcks,
      idempotentReplays: stats.idempotentReplays,
      retries: report.retries ?? null,
      tokensIssued: stats.tokensIssued,
      exactlyOnce:
        audit.missing.length === 0 &&
        audit.duplicated.length === 0 &&
        audit.unexpected.length === 0 &&
        report.counts.failed === 0 &&
        report.counts.quarantined === expected.quarantined,
    };
  } finally {
    await mocks.close();
  }
}

/** 2. Three SIGKILLs at seeded order counts, then a rerun to completion. */
async function crashScenario(count: number, kind: 'idempotency-key' | 'lookup-only') {
  const mocks = await startFlagshipMocks({
    count,
    seed,
    perPage: 100,
    destinationFaults: { latencyMs: 10 },
    ...(kind === 'lookup-only' ? { honourIdempotency: false, allowDuplicates: true } : {}),
  });
  try {
    const config = kind === 'lookup-only' ? lookupOnlyConfig : flagshipConfig;
    const state = await freshState();
    const valid = expectedCustomers(seed, count).distinctValidIds.length;
    const random = createRandom(hashSeed(seed, kind === 'lookup-only' ? 0xdead : 0xbeef));
    const kills: Array<{ afterOrders: number; signal: string | null }> = [];
    for (let i = 0; i < 3; i++) {
      const afterOrders = Math.round(valid * (0.05 + 0.3 * i + 0.2 * random()));
      const { result, ordersAtSignal } = await killDuringRun({
        args: runArgs(config, state),
        env: mocks.env,
        ordersStored: () => mocks.destination.stats().ordersStored,
        afterOrders,
        signal: 'SIGKILL',
      });
      kills.push({ afterOrders: ordersAtSignal ?? -1, signal: result.signal });
    }
    const lookupsBefore = lookupsOf(mocks);
    const final = await runFerry(runArgs(config, state), { env: mocks.env });
    const report = parseReport(final.stdout, final.stderr);
    const audit = auditOrders(mocks.destination.orders(), seed, count);
    return {
      destination: kind,
      customers: count,
      kills,
      killsLanded: kills.filter((k) => k.signal === 'SIGKILL').length,
      rerunExitCode: final.code,
      rerunCounts: report.counts,
      reconciledByLookup: lookupsOf(mocks) - lookupsBefore,
      expectedOrders: audit.expected,
      ordersStored: audit.stored,
      missing: audit.missing.length,
      duplicated: audit.duplicated.length,
      unexpected: audit.unexpected.length,
    };
  } finally {
    await mocks.close();
  }
}

/** 3. A destination whose token bucket allows `limit` requests per second (429 with Retry-After past it). */
async function rateScenario(count: number, limit: number) {
  const mocks = await startFlagshipMocks({
    count,
    seed,
    perPage: 1000,
    destinationFaults: { requestsPerSecond: limit },
  });
  try {
    // Sample accepted orders over time, to also measure the steady state between 10% and 90% of the run.
    const samples: Array<{ at: number; stored: number }> = [];
    const sampler = setInterval(
      () => samples.push({ at: performance.now(), stored: mocks.destination.stats().ordersStored }),
      50,
    );
    const started = performance.now();
    const result = await runFerry(runArgs(flagshipConfig, await freshState()), { env: mocks.env });
    const durationMs = performance.now() - started;
    clearInterval(sampler);
    const report = parseReport(result.stdout, result.stderr) as ReturnType<typeof parseReport> & {
      durationMs: number;
    };
    const posts = postsOf(mocks);
    const postRequests = sum(posts);
    const answered429 = posts['429'] ?? 0;
    const accepted = posts['201'] ?? 0;
    const first = samples.find((s) => s.stored > 0);
    const last = samples.find((s) => s.stored >= accepted) ?? samples.at(-1);
    const at = (share: number) => samples.find((s) => s.stored >= accepted * share);
    const p10 = at(0.1);
    const p90 = at(0.9);
    const sendingSeconds = first && last ? (last.at - first.at) / 1000 : Number.NaN;
    const steadyPerSec = p10 && p90 ? (p90.stored - p10.stored) / ((p90.at - p10.at) / 1000) : Number.NaN;
    const runPerSec = accepted / (report.durationMs / 1000);
    return {
      customers: count,
      limitPerSec: limit,
      durationMs: Math.round(durationMs),
      reportDurationMs: report.durationMs,
      postRequests,
      accepted,
      answered429,
      share429: postRequests === 0 ? 0 : answered429 / postRequests,
      /** Accepted per second over ferry's whole run (start-up and the last page included). */
      runPerSec,
      runOverLimit: runPerSec / limit,
      /** Accepted per second from the first to the last accepted order. */
      sendingPerSec: accepted / sendingSeconds,
      sendingOverLimit: accepted / sendingSeconds / limit,
      /** Accepted per second between 10% and 90% of the orders (the bucket's initial burst excluded). */
      steadyPerSec,
      steadyOverLimit: steadyPerSec / limit,
      /** Lookups (GET) a fresh ledger makes before each first send; they count against the same limit. */
      lookups: lookupsOf(mocks),
      /** Every request (POSTs and lookups) per second over ferry's whole run, against the limit. */
      requestsOverLimit: (postRequests + lookupsOf(mocks)) / (report.durationMs / 1000) / limit,
      duplicates: mocks.destination.stats().duplicates,
      failed: report.counts.failed,
    };
  } finally {
    await mocks.close();
  }
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
const results: Record<string, unknown> = {
  startedAt: new Date().toISOString(),
  node: process.version,
  seed,
};
const rows: Array<[string, string]> = [];
const benchStarted = Date.now();
try {
  if (only.has('faults')) {
    log(`faults: ${customers} customers...`);
    const r = await faultsScenario(customers);
    results.faults = r;
    rows.push(
      [
        'faults: customers / duration',
        `${r.customers} / ${(r.durationMs / 1000).toFixed(1)} s (exit ${r.exitCode})`,
      ],
      [
        'faults: delivered/skipped/quarantined/failed',
        `${r.counts.delivered}/${r.counts.skipped}/${r.counts.quarantined}/${r.counts.failed} (expected quarantined ${r.expectedQuarantined})`,
      ],
      [
        'faults: orders expected / stored',
        `${r.expectedOrders} / ${r.ordersStored} (missing ${r.missing}, duplicated ${r.duplicated})`,
      ],
      [
        'faults: POSTs / 429 / 5xx / lost acks',
        `${r.postRequests} / ${r.answered429} / ${r.answered5xx} / ${r.lostAcks}`,
      ],
      ['faults: retries / replays / tokens', `${r.retries} / ${r.idempotentReplays} / ${r.tokensIssued}`],
      ['faults: exactly once', String(r.exactlyOnce)],
    );
  }
  if (only.has('crash')) {
    const crash = [];
    for (const kind of ['idempotency-key', 'lookup-only'] as const) {
      log(`crash (${kind}): ${customers} customers, three SIGKILLs, rerun...`);
      const r = await crashScenario(customers, kind);
      crash.push(r);
      rows.push(
        [
          `crash ${kind}: killed at orders`,
          `${r.kills.map((k) => k.afterOrders).join(', ')} (${r.killsLanded}/3 landed)`,
        ],
        [
          `crash ${kind}: expected / stored`,
          `${r.expectedOrders} / ${r.ordersStored} (missing ${r.missing}, duplicated ${r.duplicated})`,
        ],
        [
          `crash ${kind}: rerun`,
          `exit ${r.rerunExitCode}, failed ${r.rerunCounts.failed}, lookups ${r.reconciledByLookup}`,
        ],
      );
    }
    results.crash = crash;
  }
  if (only.has('rate')) {
    log(`rate: ${rateCustomers} customers against 300 requests/s...`);
    const r = await rateScenario(rateCustomers, 300);
    results.rate = r;
    rows.push(
      ['rate: orders / POSTs / 429s', `${r.accepted} / ${r.postRequests} / ${r.answered429}`],
      ['rate: share of 429s', pct(r.share429)],
      ['rate: steady (10-90%) / limit', `${r.steadyPerSec.toFixed(1)}/s = ${pct(r.steadyOverLimit)}`],
      ['rate: first-to-last order / limit', `${r.sendingPerSec.toFixed(1)}/s = ${pct(r.sendingOverLimit)}`],
      [
        'rate: whole run incl. start-up / limit',
        `${r.runPerSec.toFixed(1)}/s = ${pct(r.runOverLimit)} (${(r.reportDurationMs / 1000).toFixed(1)} s)`,
      ],
      ['rate: lookups / all requests over limit', `${r.lookups} / ${pct(r.requestsOverLimit)}`],
    );
  }
} finally {
  await Promise.all(stateDirs.map((dir) => rm(dir, { recursive: true, force: true })));
}
results.totalMs = Date.now() - benchStarted;

const width = Math.max(...rows.map(([k]) => k.length));
process.stdout.write(`${rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n')}\n`);
await mkdir(join(resultsFile, '..'), { recursive: true });
await writeFile(resultsFile, `${JSON.stringify(results, null, 2)}\n`);
log(`wrote ${resultsFile} (${(Number(results.totalMs) / 1000).toFixed(0)} s)`);
