import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createCoreWaitSampler } from './core-wait.ts';

const dirs: string[] = [];
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A schedstat file the test writes: ns on the cpu, ns waiting for one, timeslices. */
function fakeSchedstat() {
  const dir = mkdtempSync(join(tmpdir(), 'ferry-core-wait-'));
  dirs.push(dir);
  const path = join(dir, 'schedstat');
  const write = (waitedMs: number) => writeFileSync(path, `5000000 ${waitedMs * 1e6} 12\n`);
  return { path, write };
}

describe('createCoreWaitSampler', () => {
  it('reads the share of the time since the last call that the process waited for a core', () => {
    const file = fakeSchedstat();
    let clock = 1_000;
    file.write(40);
    const take = createCoreWaitSampler({ path: file.path, now: () => clock });
    clock += 100;
    file.write(70);
    expect(take()).toBeCloseTo(0.3, 6);
    clock += 200;
    file.write(70);
    expect(take()).toBe(0);
  });

  it('says nothing where the kernel does not tell', () => {
    const take = createCoreWaitSampler({ path: join(tmpdir(), 'ferry-no-such-schedstat') });
    expect(take()).toBeUndefined();
  });

  const canPin = existsSync('/proc/self/schedstat') && existsSync('/usr/bin/taskset');
  it.runIf(canPin)('reads a wait when another process spins on the same core', async () => {
    // Both processes pinned to one core the test may use: each waits for it about half the time.
    const allowed = /Cpus_allowed_list:\s*(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '0';
    const spinner = spawn('taskset', ['-c', allowed, process.execPath, '-e', SPIN], { stdio: 'pipe' });
    children.push(spinner);
    await once(spinner.stdout, 'data');
    const sampler = fileURLToPath(new URL('./core-wait.ts', import.meta.url));
    const measured = execFileSync(
      'taskset',
      ['-c', allowed, process.execPath, '--input-type=module', '-e', measure(sampler)],
      { encoding: 'utf8' },
    );
    expect(Number(measured)).toBeGreaterThan(0.2);
  });
});

/** Says it started, then keeps its core busy for as long as a test could need. */
const SPIN = "process.stdout.write('spinning\\n'); const end = Date.now() + 20000; while (Date.now() < end);";

/** Keeps its core busy for a second, then prints the share of it that it waited. */
const measure = (sampler: string) =>
  `import { createCoreWaitSampler } from ${JSON.stringify(sampler)};
const take = createCoreWaitSampler();
const end = performance.now() + 1000;
while (performance.now() < end);
process.stdout.write(String(take()));`;
