/**
 * `npm run bench`: ferry's performance scenarios side by side with the baselines (issue 5). Prints one table
 * and writes bench/results/<timestamp>.json. Options:
 *   --quick          smaller runs (about a minute)
 *   --full           run the 1,000,000-customer memory scenario to the end, whatever the time budget
 *   --budget-s N     time budget of the whole benchmark in seconds (default 285); the large memory run is cut
 *                    with --limit to fit it, and the table says so
 *   --svg FILE       also draw the chart (docs/performance.svg is made this way)
 *   --markdown       also print the table as Markdown
 *
 * `npm run bench -- scale` runs the cluster scenarios instead (bench/scenario-scale.ts): workers on a
 * PostgreSQL ledger against a latency-bound and a rate-limited destination, and one process on each ledger.
 */

import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ROOT } from './mock-processes.ts';
import { formatMarkdownTable, formatTable } from './print-table.ts';
import { buildRows, buildTargets, TARGETS } from './results-rows.ts';
import { latencyScenario } from './scenario-latency.ts';
import { memoryScenario } from './scenario-memory.ts';
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
  },
});
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
      latency: 2_000,
      naiveSlow: 100,
      rate: 3_000,
      soap: 2_000,
      memSmall: 20_000,
      memLarge: 100_000,
    }
  : {
      throughput: 20_000,
      latency: 8_000,
      naiveSlow: 200,
      rate: 6_000,
      soap: 5_000,
      memSmall: 100_000,
      memLarge: 1_000_000,
    };

const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(0)}s`;
const say = (text: string) => process.stderr.write(`[bench ${elapsed()}] ${text}\n`);

say(
  `1/6 throughput: ${sizes.throughput} customers; ferry, the naive script, autocannon, undici alone, three rounds`,
);
const throughput = await throughputScenario(sizes.throughput, 3, TARGETS.ferryOverCeiling);
say('2/6 latency-bound: destination answers after 20 ms; ferry and autocannon, three rounds');
const latency = await latencyScenario(sizes.latency, 20, sizes.naiveSlow, 3);
say('3/6 rate-limited: destination allows 300 requests/s');
const rateLimit = await rateLimitScenario(sizes.rate, 300);
say('4/6 start-up: ferry --help and a one-record run');
const startup = await startupScenario(5);
// Before the memory scenario, whose large run is cut to what is left of the budget.
say(`5/6 SOAP flagship: ${sizes.soap} customers to the ERP mock, next to the REST flagship's run`);
const soap = await soapScenario(sizes.soap, 1);
say(`6/6 memory: ${sizes.memSmall} customers streamed`);

/** Cuts the large memory run to what the remaining budget allows at the rate the small run showed. */
function largeLimit(recordsPerSec: number): number | undefined {
  if (values.full) return undefined;
  const remainingMs = budgetMs - (performance.now() - started) - 5_000;
  const fits = Math.floor((recordsPerSec * Math.max(remainingMs - 3_000, 0) * 0.9) / 1000);
  if (fits >= sizes.memLarge) return undefined;
  return Math.max(sizes.memSmall, Math.floor(fits / 10_000) * 10_000);
}

const memory = await memoryScenario(sizes.memSmall, sizes.memLarge, (small) => {
  const limit = largeLimit(small.recordsPerSec);
  say(
    `6/6 memory: ${sizes.memLarge} customers streamed${limit === undefined ? '' : `, cut at ${limit} with --limit to fit the time budget`}`,
  );
  return limit;
});

const results = { throughput, latency, rateLimit, memory, startup, soap };
const rows = buildRows(results);
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
if (values.svg !== undefined) {
  const title = `ferry benchmark (${machine.cpus} cores, Node ${machine.node}${quick ? ', --quick' : ''})`;
  const chart = renderChart(
    title,
    `Throughput, ${throughput.customers.toLocaleString('en-US')} customers, no latency (records/s)`,
    [
      { label: 'naive sequential script', perSec: throughput.naive.recordsPerSec },
      { label: 'ferry', perSec: throughput.ferry.recordsPerSec },
      { label: 'undici alone (fresh, POSTs)', perSec: throughput.bareClient.postsPerSec },
      { label: 'raw ceiling (autocannon, POSTs)', perSec: throughput.ceiling.postsPerSec },
    ],
    buildTargets(results),
  );
  await writeFile(values.svg, chart);
  say(`chart written to ${values.svg}`);
}
say(`done in ${elapsed()}`);
