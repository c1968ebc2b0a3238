/**
 * Start-up of this tree against other ferry trees (earlier commits, built), interleaved in one invocation so
 * all meet the same machine: launch to the source's first request of a one-record run (timed by the mock
 * source's clock), its wall and CPU time, `ferry --help` and `ferry validate` (wall and CPU); medians after one
 * warm-up round, and
 * the load average before and after. Run: `npx node bench/startup-ab.ts OTHER_TREE... [--rounds N]`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { measureProcess } from './measure-process.ts';
import { ROOT, startMockProcesses } from './mock-processes.ts';
import { launcherEnv, launcherNodeFlags } from './run-ferry.ts';

const args = process.argv.slice(2);
const roundsAt = args.indexOf('--rounds');
const rounds = roundsAt === -1 ? 7 : Number(args[roundsAt + 1]);
const others = roundsAt === -1 ? args : [...args.slice(0, roundsAt), ...args.slice(roundsAt + 2)];
if (others.length === 0) throw new Error('usage: npx node bench/startup-ab.ts OTHER_TREE... [--rounds N]');
const trees: Record<string, string> = {
  ...Object.fromEntries(others.map((tree) => [tree, tree])),
  this: ROOT,
};
const loadBefore = loadavg()[0] ?? 0;
const mocks = await startMockProcesses({ count: 1000 });
/** Runs ferry from `tree`: wall time and, through GNU time, CPU time (user + system, all threads). */
const run = async (tree: string, args: string[], extra: Record<string, string> = {}) => {
  const measured = await measureProcess(
    process.execPath,
    [...launcherNodeFlags, join(tree, 'bin/ferry.js'), ...args],
    {
      env: {
        ...process.env,
        ...launcherEnv,
        ...mocks.env,
        SOURCE_URL: `${mocks.env.SOURCE_URL}?per_page=100`,
        ...extra,
      },
    },
  );
  return { wall: measured.wallMs, cpu: measured.cpuMs ?? Number.NaN };
};
const out: Record<string, Record<string, number[]>> = {};
const add = (tree: string, what: string, v: number) => {
  const byWhat = out[tree] ?? {};
  out[tree] = byWhat;
  byWhat[what] = [...(byWhat[what] ?? []), v];
};
try {
  for (let r = 0; r < rounds + 1; r++) {
    for (const [name, tree] of Object.entries(trees)) {
      const state = mkdtempSync(join(tmpdir(), 'ab-'));
      await mocks.resetSource();
      const launched = Date.now();
      const wall = await run(tree, [
        'run',
        join(tree, 'examples/customers-to-orders.yaml'),
        '--state',
        state,
        '--limit',
        '1',
        '--no-progress',
        '--log-level',
        'error',
      ]);
      const first = ((await mocks.sourceStats()).times.firstArrivalAt ?? Number.NaN) - launched;
      rmSync(state, { recursive: true, force: true });
      const help = await run(tree, ['--help']);
      const validate = await run(tree, [
        'validate',
        join(tree, 'examples/customers-to-orders.yaml'),
        '--allow-missing-env',
      ]);
      if (r === 0) continue; // warm-up: file and compile caches
      add(name, 'firstRequest', first);
      add(name, 'oneRecordWall', wall.wall);
      add(name, 'oneRecordCpu', wall.cpu);
      add(name, 'help', help.wall);
      add(name, 'helpCpu', help.cpu);
      add(name, 'validate', validate.wall);
      add(name, 'validateCpu', validate.cpu);
    }
  }
} finally {
  await mocks.stop();
}
const median = (v: number[]) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)]!;
console.log(
  `load average (1 min) before / after: ${loadBefore.toFixed(1)} / ${(loadavg()[0] ?? 0).toFixed(1)}`,
);
for (const [name, m] of Object.entries(out))
  console.log(
    name,
    Object.entries(m)
      .map(([k, v]) => `${k} ${median(v).toFixed(0)} [${v.map((x) => x.toFixed(0)).join(' ')}]`)
      .join(' | '),
  );
