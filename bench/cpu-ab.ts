/**
 * Scenario 1's CPU per record for ferry trees and node flags, interleaved in one invocation so every variant
 * meets the same machine: the flagship (`bin/ferry.js run`, pages of 1,000) against the mocks in their own
 * processes, each full run's CPU (GNU time, all threads) less the median of three one-record runs of the same
 * variant, over the orders delivered, as scenario 1 counts it. Each run's CPU is also split by thread (the
 * main thread against V8's helper threads: compilers and the collector's), from /proc while it runs. Prints
 * every run, then per variant the medians, peak RSS and records/s, and the load average before and after.
 *
 * Run: `npx node bench/cpu-ab.ts [--rounds N] [--customers N] VARIANT...`, each VARIANT a built tree with
 * optional node flags after `+`: `. ../other-tree .+--max-semi-space-size=8`. The launcher's own flags
 * (bin/ferry.js's shebang) come first, so a flag given here overrides them.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startMockProcesses } from './mock-processes.ts';
import { launcherEnv, launcherNodeFlags } from './run-ferry.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { rounds: { type: 'string', default: '5' }, customers: { type: 'string', default: '20000' } },
});
if (positionals.length === 0 || !existsSync('/usr/bin/time')) {
  throw new Error(
    'usage: npx node bench/cpu-ab.ts [--rounds N] [--customers N] TREE[+--node-flag...]... (needs GNU time)',
  );
}
const variants = positionals.map((spec) => {
  const [tree = '.', ...flags] = spec.split('+');
  return { name: spec, tree: resolve(tree), flags };
});
const rounds = Number(values.rounds);

/** One run's figures: CPU in ms (all threads, and by thread name), peak RSS, orders delivered. */
interface Run {
  cpuMs: number;
  threadsMs: Record<string, number>;
  rssMb: number;
  delivered: number;
  recordsPerSec: number;
}

/** CPU ticks of each thread of `pid` so far, by thread id; threads that ended keep their last reading. */
function readThreads(pid: number, into: Map<string, { name: string; ticks: number }>): void {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const fields = stat.slice(close + 2).split(' ');
      const name = tid === String(pid) ? 'main' : stat.slice(stat.indexOf('(') + 1, close);
      into.set(tid, { name, ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // The thread ended between the listing and the read.
    }
  }
}

async function run(
  variant: (typeof variants)[number],
  env: Record<string, string>,
  limit?: number,
): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-cpu-ab-'));
  const timeFile = join(dir, 'time');
  const args = [
    ...['-f', '%M %U %S', '-o', timeFile, process.execPath, ...launcherNodeFlags, ...variant.flags],
    ...[join(variant.tree, 'bin/ferry.js'), 'run', join(variant.tree, 'examples/customers-to-orders.yaml')],
    ...[
      '--state',
      join(dir, 'state'),
      '--report',
      join(dir, 'report.json'),
      '--no-progress',
      '--log-level',
      'warn',
    ],
    ...(limit === undefined ? [] : ['--limit', String(limit)]),
  ];
  const child = spawn('/usr/bin/time', args, {
    env: { ...process.env, ...launcherEnv, ...env, SOURCE_URL: `${env.SOURCE_URL}?per_page=1000` },
    stdio: 'ignore',
  });
  const threads = new Map<string, { name: string; ticks: number }>();
  let pid = 0;
  const poll = setInterval(() => {
    if (pid === 0) {
      // GNU time's one child is ferry.
      try {
        const children = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8');
        pid = Number(children.trim().split(/\s+/)[0]) || 0;
      } catch {
        return;
      }
    }
    if (pid !== 0) readThreads(pid, threads);
  }, 40);
  await new Promise((done) => child.on('close', done));
  clearInterval(poll);
  try {
    const [kb, user, system] = readFileSync(timeFile, 'utf8')
      .trim()
      .split('\n')
      .at(-1)!
      .split(' ')
      .map(Number);
    const report = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8')) as {
      durationMs: number;
      counts: { delivered: number };
    };
    const threadsMs: Record<string, number> = {};
    // Clock ticks are 1/100 s on Linux.
    for (const { name, ticks } of threads.values()) threadsMs[name] = (threadsMs[name] ?? 0) + ticks * 10;
    return {
      cpuMs: (user! + system!) * 1000,
      threadsMs,
      rssMb: kb! / 1024,
      delivered: report.counts.delivered,
      recordsPerSec: (report.counts.delivered / report.durationMs) * 1000,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const median = (xs: readonly number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
};
const loadBefore = loadavg()[0] ?? 0;
const mocks = await startMockProcesses({ count: Number(values.customers) });
const env = { ...mocks.env };
const fixed = new Map<string, number[]>();
const full = new Map<string, Run[]>();
try {
  // The mocks' own warm-up, untimed.
  await run(variants[0]!, env);
  await mocks.resetDestination();
  for (let i = 0; i < 3; i++) {
    for (const variant of variants) {
      fixed.set(variant.name, [...(fixed.get(variant.name) ?? []), (await run(variant, env, 1)).cpuMs]);
      await mocks.resetDestination();
    }
  }
  for (let round = 0; round < rounds; round++) {
    // Alternate the order, so no variant always follows the same one.
    for (const variant of round % 2 === 0 ? variants : [...variants].reverse()) {
      const result = await run(variant, env);
      await mocks.resetDestination();
      full.set(variant.name, [...(full.get(variant.name) ?? []), result]);
      const perRecord = ((result.cpuMs - median(fixed.get(variant.name)!)) * 1000) / result.delivered;
      const split = Object.entries(result.threadsMs)
        .filter(([, ms]) => ms > 0)
        .map(([name, ms]) => `${name} ${ms} ms`)
        .join(', ');
      process.stdout.write(
        `round ${round + 1} ${variant.name}: ${perRecord.toFixed(1)} µs per record (CPU ${result.cpuMs.toFixed(0)} ms: ${split}), ${result.rssMb.toFixed(0)} MB, ${result.recordsPerSec.toFixed(0)} records/s\n`,
      );
    }
  }
} finally {
  await mocks.stop();
}
process.stdout.write('\n');
for (const variant of variants) {
  const fixedMs = median(fixed.get(variant.name)!);
  const runs = full.get(variant.name) ?? [];
  const perRecord = runs.map((r) => ((r.cpuMs - fixedMs) * 1000) / r.delivered);
  const helpers = runs.map((r) => (r.cpuMs === 0 ? 0 : 1 - (r.threadsMs.main ?? 0) / r.cpuMs));
  process.stdout.write(
    `${variant.name}: ${median(perRecord).toFixed(1)} µs per record (runs ${perRecord.map((x) => x.toFixed(0)).join(', ')}; one-record run ${fixedMs.toFixed(0)} ms), ` +
      `helper threads ${(median(helpers) * 100).toFixed(0)}% of the CPU, peak RSS ${median(runs.map((r) => r.rssMb)).toFixed(0)} MB, ` +
      `${median(runs.map((r) => r.recordsPerSec)).toFixed(0)} records/s\n`,
  );
}
process.stdout.write(
  `load average (1 min): ${loadBefore.toFixed(2)} before, ${(loadavg()[0] ?? 0).toFixed(2)} after\n`,
);
