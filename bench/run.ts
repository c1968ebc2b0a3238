/**
 * `npm run bench`: ferry's performance scenarios side by side with the baselines and the peer, Node-RED
 * (issues 5 and 23). Prints one table
 * and writes bench/results/<timestamp>.json. Options:
 *   --quick          smaller runs (about a minute)
 *   --full           run the 1,000,000-customer memory scenario to the end, whatever the time budget
 *   --budget-s N     time budget of the whole benchmark in seconds (default 285); the large memory run is cut
 *                    with --limit to fit it, and the table says so
 *   --svg FILE       also draw the chart (docs/performance.svg is made this way)
 *   --markdown       also print the table as Markdown
 *   --only LIST      run only these scenarios (throughput,rate,startup,memory,peers,soap)
 *
 * `npm run bench -- scale` runs the cluster scenarios instead (bench/scenario-scale.ts): workers on a
 * PostgreSQL ledger against a latency-bound and a rate-limited destination, and one process on each ledger.
 */

import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from './mock-processes.ts';
import { formatMarkdownTable, formatTable } from './print-table.ts';
import { type BenchResults, buildRows, buildTargets, type ScenarioLoad } from './results-rows.ts';
import { memoryScenario } from './scenario-memory.ts';
import { type PeerJob, peersScenario } from './scenario-peers.ts';
import { rateLimitScenario } from './scenario-rate-limit.ts';
import { soapScenario } from './scenario-soap.ts';
import { startupScenario } from './scenario-startup.ts';
import { throughputScenario } from './scenario-throughput.ts';
import { renderChart } from './write-chart.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    quick: { type: 'boolean', default: false },
    full: { type: 'boolean', default: false },
    'budget-s': { type: 'string', default: '285' },
    svg: { type: 'string' },
    markdown: { type: 'boolean', default: false },
    only: { type: 'string', default: 'throughput,rate,startup,memory,peers,soap' },
  },
});
const onlySet = new Set(values.only.split(','));
const quick = values.quick;
if (positionals[0] === 'scale') {
  const { runScale } = await import('./run-scale.ts');
  await runScale(quick);
  process.exit(0);
}
if (positionals.length > 0) {
  process.stderr.write(`unknown scenario ${positionals[0]}; the one scenario by name is "scale"\n`);
  process.exit(2);
}
const budgetMs = Number(values['budget-s']) * 1000;
const sizes = quick
  ? {
      throughput: 5_000,
      rate: 3_000,
      memSmall: 20_000,
      memLarge: 100_000,
      atOnce: 2_000,
      slow: 1_000,
      soap: 2_000,
    }
  : {
      throughput: 20_000,
      rate: 6_000,
      memSmall: 100_000,
      memLarge: 1_000_000,
      atOnce: 10_000,
      slow: 4_000,
      soap: 5_000,
    };
// Issue 23's jobs: the destination at once, and at 20 and 100 ms with a capacity of 64 requests at once.
const peerJobs: PeerJob[] = [
  {
    label: `${sizes.atOnce.toLocaleString('en-US')} at once`,
    customers: sizes.atOnce,
    latencyMs: 0,
    naive: true,
  },
  {
    label: `${sizes.slow.toLocaleString('en-US')} at 20 ms, K 64`,
    customers: sizes.slow,
    latencyMs: 20,
    capacity: 64,
    naive: false,
  },
  {
    label: `${sizes.slow.toLocaleString('en-US')} at 100 ms, K 64`,
    customers: sizes.slow,
    latencyMs: 100,
    capacity: 64,
    naive: false,
  },
];

const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(0)}s`;
const say = (text: string) => process.stderr.write(`[bench ${elapsed()}] ${text}\n`);

const loads: Partial<Record<keyof BenchResults, ScenarioLoad>> = {};
/** Runs a scenario when --only names it, noting the load average around it. */
async function scenario<T>(
  name: keyof BenchResults,
  only: string,
  run: () => Promise<T>,
): Promise<T | undefined> {
  if (!onlySet.has(only)) return undefined;
  const start = loadavg()[0] ?? 0;
  const result = await run();
  loads[name] = { start, end: loadavg()[0] ?? 0 };
  return result;
}

say(
  `1/7 throughput: ${sizes.throughput} customers; ferry (as shipped, and lookup first), naive, autocannon, undici alone`,
);
const throughput = await scenario('throughput', 'throughput', () =>
  throughputScenario(sizes.throughput, 3, 0.8),
);
say('3/7 rate-limited: destination allows 300 requests/s');
const rateLimit = await scenario('rateLimit', 'rate', () => rateLimitScenario(sizes.rate, 300));
say('5/7 start-up: ferry --help, ferry validate, launch to first request');
const startup = await scenario('startup', 'startup', () => startupScenario(5));

/** Cuts the large memory run to what the remaining budget allows at the rate the small run showed. */
function largeLimit(recordsPerSec: number): number | undefined {
  if (values.full) return undefined;
  const remainingMs = budgetMs - (performance.now() - started) - 5_000;
  const fits = Math.floor((recordsPerSec * Math.max(remainingMs - 3_000, 0) * 0.9) / 1000);
  if (fits >= sizes.memLarge) return undefined;
  return Math.max(sizes.memSmall, Math.floor(fits / 10_000) * 10_000);
}

say(`6/7 peers: ferry, Node-RED and the naive script on ${peerJobs.length} jobs, three rounds`);
const peers = await scenario('peers', 'peers', () => peersScenario(peerJobs, 3, say));

// Before the memory scenario, whose large run is cut to what is left of the budget.
say(`7/7 SOAP flagship: ${sizes.soap} customers to the ERP mock, next to the REST flagship's run`);
const soap = await scenario('soap', 'soap', () => soapScenario(sizes.soap, 1));

say(`4/7 memory: ${sizes.memSmall} customers streamed`);
const memory = await scenario('memory', 'memory', () =>
  memoryScenario(sizes.memSmall, sizes.memLarge, (small) => {
    const limit = largeLimit(small.recordsPerSec);
    say(
      `4/7 memory: ${sizes.memLarge} customers streamed${limit === undefined ? '' : `, cut at ${limit} with --limit to fit the time budget`}`,
    );
    return limit;
  }),
);

const results = { throughput, rateLimit, memory, startup, peers, soap, loads };
const complete = throughput && rateLimit && memory && startup && peers && soap;
const rows = buildRows({ throughput, rateLimit, memory, startup, peers, soap }, loads);
if (!complete) say('some scenarios were left out (--only): the table shows those that ran, the chart none');
process.stdout.write(`\n${formatTable(rows)}\n`);
if (values.markdown) process.stdout.write(`\n${formatMarkdownTable(rows)}\n`);

const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const machine = {
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model ?? 'unknown',
  node: process.version,
  platform: `${process.platform} ${process.arch}`,
};
const resultsDir = join(ROOT, 'bench/results');
await mkdir(resultsDir, { recursive: true });
const file = join(resultsDir, `${stamp}.json`);
await writeFile(
  file,
  `${JSON.stringify({ startedAt: new Date().toISOString(), machine, quick, totalSeconds: (performance.now() - started) / 1000, results, rows }, null, 2)}\n`,
);
say(`results written to ${file}`);
if (values.svg !== undefined && complete) {
  const title = `ferry benchmark (${machine.cpus} cores, Node ${machine.node}${quick ? ', --quick' : ''})`;
  const chart = renderChart(
    title,
    `Throughput, ${throughput.customers.toLocaleString('en-US')} customers, no latency (records/s)`,
    [
      { label: 'naive sequential script', perSec: throughput.naive.recordsPerSec },
      { label: 'ferry as shipped (POST)', perSec: throughput.ferry.recordsPerSec },
      { label: 'ferry, lookup first (lookup + POST)', perSec: throughput.ferryLookupFirst.recordsPerSec },
      { label: 'undici alone (fresh, POSTs)', perSec: throughput.bareClient.postsPerSec },
      { label: 'raw ceiling (autocannon, POSTs)', perSec: throughput.ceiling.postsPerSec },
    ],
    buildTargets({ throughput, rateLimit, memory, startup, peers, soap }),
  );
  await writeFile(values.svg, chart);
  say(`chart written to ${values.svg}`);
}
say(`done in ${elapsed()}`);
