import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDirs } from '../../../test/support/temp-dirs.ts';

const dirs = tempDirs('ferry-csv-memory-');
afterAll(() => dirs.removeAll());

const fixture = join(import.meta.dirname, 'csv-memory.fixture.ts');
const MB = 1024 * 1024;

/** Runs the fixture in its own process, where a full GC can be forced and nothing else shares the heap. */
function runFixture(
  dir: string,
  rows: number,
): Promise<Map<string, { heapGrowth: number; arrayGrowth: number }>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--expose-gc', fixture, dir, String(rows)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on('close', (code) => {
      if (code !== 0) {
        reject(new Error(`memory fixture exited with ${code}: ${stderr}`));
        return;
      }
      const phases = stdout
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { phase: string; heapGrowth: number; arrayGrowth: number });
      resolve(new Map(phases.map((phase) => [phase.phase, phase])));
    });
  });
}

describe('a million CSV rows', () => {
  it('cost the source and the sink what a page does, and the lookup index a few dozen bytes a row', async () => {
    const phases = await runFixture(await dirs.make(), 1_000_000);
    // Holding the rows would take hundreds of MB; what grows is only what a page and the parser hold.
    expect(phases.get('source')!.heapGrowth).toBeLessThan(16 * MB);
    expect(phases.get('source')!.arrayGrowth).toBeLessThan(16 * MB);
    expect(phases.get('sink')!.heapGrowth).toBeLessThan(16 * MB);
    expect(phases.get('sink')!.arrayGrowth).toBeLessThan(16 * MB);
    // The index keeps 64-bit hashes and offsets in typed arrays, no row text.
    expect(phases.get('index')!.heapGrowth).toBeLessThan(16 * MB);
    expect(phases.get('index')!.arrayGrowth).toBeLessThan(64 * MB);
  }, 180_000);
});
