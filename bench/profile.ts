/**
 * Profiles ferry on scenario 1 (20,000 customers, no faults, no latency): runs the CLI under
 * `node --cpu-prof`, then prints where the CPU went. Run: `npx node bench/profile.ts [customers] [latencyMs]`;
 * a latency (scenario 2 uses 8000 20) profiles against a destination that answers each POST that late.
 * The .cpuprofile is kept in bench/results/ (gitignored) for Chrome DevTools or speedscope.
 */

import { mkdtempSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, startMockProcesses } from './mock-processes.ts';
import { runFerry } from './run-ferry.ts';
import { type CpuProfile, type ProfileLine, summarizeCpuProfile } from './summarize-cpu-profile.ts';

const customers = Number(process.argv[2] ?? 20_000);
const latencyMs = Number(process.argv[3] ?? 0);
const dir = mkdtempSync(join(tmpdir(), 'ferry-prof-'));
const mocks = await startMockProcesses({ count: customers, destinationLatencyMs: latencyMs });
let run: Awaited<ReturnType<typeof runFerry>>;
try {
  run = await runFerry({ env: mocks.env, perPage: 1000, nodeArgs: ['--cpu-prof', '--cpu-prof-dir', dir] });
} finally {
  await mocks.stop();
}
const file = (await readdir(dir)).find((name) => name.endsWith('.cpuprofile'));
if (!file) throw new Error(`no .cpuprofile written in ${dir}`);
const profile = JSON.parse(await readFile(join(dir, file), 'utf8')) as CpuProfile;
const kept = join(
  ROOT,
  'bench/results',
  `ferry-${new Date().toISOString().replace(/[:.]/g, '-')}.cpuprofile`,
);
await mkdir(join(ROOT, 'bench/results'), { recursive: true });
await rename(join(dir, file), kept);
await rm(dir, { recursive: true, force: true });

const summary = summarizeCpuProfile(profile);
const print = (title: string, lines: ProfileLine[], n: number) => {
  process.stdout.write(`\n${title}\n`);
  for (const line of lines.slice(0, n))
    process.stdout.write(
      `${(line.share * 100).toFixed(1).padStart(6)}%  ${line.ms.toFixed(0).padStart(6)} ms  ${line.name}\n`,
    );
};
process.stdout.write(
  `ferry, ${customers} customers${latencyMs ? `, ${latencyMs} ms destination latency` : ''} (profiled): ` +
    `${run.recordsPerSec.toFixed(0)} records/s, ` +
    `${summary.totalMs.toFixed(0)} ms on CPU, ${(summary.idleShare * 100).toFixed(1)}% idle; shares are of CPU time\n`,
);
print('Self time by function', summary.selfByFunction, 25);
print('Self time by area', summary.selfByArea, 15);
print('On the stack, by area (callees included)', summary.onStackByArea, 15);
print('On the stack, by src file (callees included)', summary.onStackBySrcFile, 25);
process.stdout.write(`\nprofile kept: ${kept}\n`);
