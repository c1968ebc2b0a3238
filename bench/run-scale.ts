/** `npm run bench -- scale`: the cluster scenarios of bench/scenario-scale.ts, printed and saved as JSON. */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './mock-processes.ts';
import { type ClusterRun, PER_WORKER, scaleScenario } from './scenario-scale.ts';

const round = (n: number) => Math.round(n).toLocaleString('en-US');
const ratio = (n: number) => n.toFixed(2);
const load = (run: ClusterRun) => `${run.load[0].toFixed(1)} → ${run.load[1].toFixed(1)}`;

/** Runs the scale scenarios and prints their table (Markdown, as docs/scaling.md shows it). */
export async function runScale(quick: boolean): Promise<void> {
  const started = performance.now();
  const say = (text: string) =>
    process.stderr.write(`[bench ${((performance.now() - started) / 1000).toFixed(0)}s] ${text}\n`);
  const result = await scaleScenario({
    latencies: [
      { latencyMs: 20, customers: quick ? 6_000 : 20_000 },
      { latencyMs: 100, customers: quick ? 2_000 : 12_000 },
    ],
    rateCustomers: quick ? 3_000 : 9_000,
    ledgerCustomers: quick ? 5_000 : 20_000,
    limitPerSec: 300,
    say,
  });
  const lines = [
    `| run | records | records/s | orders/s | requests/s | over linear | 429s | load (1 min) |`,
    `| --- | --- | --- | --- | --- | --- | --- | --- |`,
    ...result.latency.flatMap((series) =>
      series.runs.map(
        (run) =>
          `| ${run.workers} worker${run.workers > 1 ? 's' : ''} × ${PER_WORKER} in flight, ${series.latencyMs} ms destination | ${round(run.customers)} | ${round(run.recordsPerSec)} | ${round(run.postsPerSec)} | ${round(run.requestsPerSec)} | ${ratio(run.overLinear)} | ${run.answered429} | ${load(run)} |`,
      ),
    ),
    `| 4 workers, destination allowing ${result.rateLimit.limitPerSec}/s | ${round(result.rateLimit.customers)} | ${round(result.rateLimit.recordsPerSec)} | ${round(result.rateLimit.postsPerSec)} | ${round(result.rateLimit.requestsPerSec)} (${ratio(result.rateLimit.achievedOverLimit)} of the limit) | | ${result.rateLimit.answered429} of ${round(result.rateLimit.requests)} (${(result.rateLimit.share429 * 100).toFixed(2)}%) | ${load(result.rateLimit)} |`,
    `| for reference: one process on SQLite, ${result.baseline.latency.latencyMs} ms destination | ${round(result.baseline.latency.customers)} | ${round(result.baseline.latency.recordsPerSec)} | ${round(result.baseline.latency.postsPerSec)} | ${round(result.baseline.latency.requestsPerSec)} | | ${result.baseline.latency.answered429} | ${load(result.baseline.latency)} |`,
    `| for reference: one process on SQLite, destination allowing ${result.rateLimit.limitPerSec}/s | ${round(result.baseline.rateLimit.customers)} | ${round(result.baseline.rateLimit.recordsPerSec)} | ${round(result.baseline.rateLimit.postsPerSec)} | ${round(result.baseline.rateLimit.requestsPerSec)} (${ratio(result.baseline.rateLimit.requestsPerSec / result.rateLimit.limitPerSec)} of the limit) | | ${result.baseline.rateLimit.answered429} | ${load(result.baseline.rateLimit)} |`,
    `| one process on SQLite, no latency | ${round(result.ledgers.sqlite.customers)} | ${round(result.ledgers.sqlite.recordsPerSec)} | ${round(result.ledgers.sqlite.postsPerSec)} | ${round(result.ledgers.sqlite.requestsPerSec)} | | | ${load(result.ledgers.sqlite)} |`,
    `| one process on PostgreSQL, no latency | ${round(result.ledgers.postgres.customers)} | ${round(result.ledgers.postgres.recordsPerSec)} | ${round(result.ledgers.postgres.postsPerSec)} | ${round(result.ledgers.postgres.requestsPerSec)} | | | ${load(result.ledgers.postgres)} |`,
  ];
  process.stdout.write(`\n${lines.join('\n')}\n`);
  const machine = { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version };
  const dir = join(ROOT, 'bench/results');
  await mkdir(dir, { recursive: true });
  const file = join(dir, `scale-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  await writeFile(
    file,
    `${JSON.stringify({ startedAt: new Date().toISOString(), machine, quick, loadAtEnd: loadavg(), result }, null, 2)}\n`,
  );
  say(`results written to ${file}`);
}
