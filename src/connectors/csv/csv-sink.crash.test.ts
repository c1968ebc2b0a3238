import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDirs } from '../../../test/support/temp-dirs.ts';
import { fileTestContext, readAllPages } from '../files/test-support.ts';
import { BATCH, type CrashMode, crashOrder, crashSinkOptions } from './csv-sink.crash.fixture.ts';
import { csvSink } from './sink-spec.ts';
import { csvSource } from './source-spec.ts';

const dirs = tempDirs('ferry-csv-crash-');
afterAll(() => dirs.removeAll());

const fixture = join(import.meta.dirname, 'csv-sink.crash.fixture.ts');

/**
 * Runs the writer from `first` and SIGKILLs it: in `run` mode once it acknowledged `at` batches (wherever
 * it is then), in `hold` and `tear` mode once it says it holds at the moment the mode sets up.
 */
function runAndKill(
  dir: string,
  first: number,
  mode: CrashMode,
  at: number,
): Promise<{ announced: number; acked: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fixture, dir, String(first), mode, String(at)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let announced = first - 1;
    let acked = first - 1;
    let seen = 0;
    let held = false;
    let buffered = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        const [word, a, b] = line.split(' ');
        if (word === 'inflight') announced = Number(b);
        if (word === 'ack') {
          acked = Number(a);
          seen++;
        }
        if (word === 'held') held = true;
      }
      // Lines already in the pipe are read after the kill too: `announced` ends as the writer's last word.
      const due = mode === 'run' ? seen >= at : held;
      if (due && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    child.on('close', (_code, signal) => {
      if (signal === 'SIGKILL') resolve({ announced, acked });
      else reject(new Error(`writer ended before it was killed: ${stderr}`));
    });
  });
}

describe('the CSV sink killed with SIGKILL between writing and settling', () => {
  it('three kills and reruns leave every order exactly once and no torn row', async () => {
    const dir = await dirs.make();
    let next = 1;
    const kills: Array<[CrashMode, number]> = [
      ['run', 3],
      ['hold', 4],
      ['tear', 2],
    ];
    for (const [mode, at] of kills) {
      const { announced, acked } = await runAndKill(dir, next, mode, at);
      expect(acked).toBeGreaterThanOrEqual(next - 1 + at * BATCH);
      let found = 0;
      // The rerun: what was acknowledged is settled; what was in flight is looked up, and written only
      // when the file does not hold it, as the engine reconciles.
      const sink = await csvSink.create(csvSink.options.parse(crashSinkOptions), fileTestContext(dir));
      for (let id = next; id <= acked; id++) {
        expect(await sink.lookup!(crashOrder(id)), `acknowledged order ${id}`).toMatchObject({
          found: true,
          matches: true,
        });
      }
      for (let id = acked + 1; id <= announced; id++) {
        const lookup = await sink.lookup!(crashOrder(id));
        if (lookup.found) {
          expect(lookup.matches).toBe(true);
          found++;
        } else {
          expect(await sink.send(crashOrder(id))).toMatchObject({ state: 'delivered' });
        }
      }
      // Held after the write: the whole batch is there. Torn: its whole rows are, the half row is not.
      if (mode === 'hold') expect(found).toBe(BATCH);
      if (mode === 'tear') expect(found).toBe(BATCH / 2);
      await sink.close();
      next = announced + 1;
    }
    // The torn half row was moved aside, not lost.
    expect((await readdir(dir)).some((name) => name.endsWith('.csv.torn'))).toBe(true);

    const files = (await readdir(dir)).filter((name) => /^orders-\d+\.csv$/.test(name));
    const ids: number[] = [];
    for (const name of files) {
      expect((await readFile(join(dir, name))).at(-1), `${name} ends with a whole row`).toBe(0x0a);
      const source = await csvSource.create(csvSource.options.parse({ path: name }), fileTestContext(dir));
      for (const page of await readAllPages(source)) {
        expect(page.rejects ?? new Map(), `${name} has no damaged row`).toEqual(new Map());
        for (const record of page.records) {
          const row = record as { orderId: string; note: string; total: string };
          const id = Number(row.orderId.slice(4));
          expect(row).toEqual({
            orderId: `ORD-${id}`,
            note: `order "${id}",\nsecond line`,
            total: String(id * 3),
          });
          ids.push(id);
        }
      }
    }
    ids.sort((a, b) => a - b);
    expect(ids).toEqual(Array.from({ length: next - 1 }, (_, i) => i + 1));
  }, 120_000);
});
