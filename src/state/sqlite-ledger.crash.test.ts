import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BATCH_SIZE } from './crash-writer.fixture.ts';
import { openSqliteLedger } from './sqlite-ledger.ts';

const fixture = join(import.meta.dirname, 'crash-writer.fixture.ts');

/** Runs the writer until it has acknowledged `killAfter` batches, then SIGKILLs it mid-stream. */
function runAndKill(stateDir: string, killAfter: number): Promise<{ runId: string; lastAck: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fixture, stateDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let runId = '';
    let lastAck = -1;
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
        const [word, value] = line.split(' ');
        if (word === 'run') runId = value!;
        if (word === 'ack') lastAck = Number(value);
      }
      // Lines already in the pipe are still read after the kill: lastAck is the writer's last word.
      if (lastAck >= killAfter && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    });
    child.on('close', (code, signal) => {
      if (signal === 'SIGKILL') resolve({ runId, lastAck });
      else reject(new Error(`writer exited with ${code} before it was killed: ${stderr}`));
    });
  });
}

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-crash-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a writer killed with SIGKILL mid-stream', () => {
  it('leaves a ledger that opens with every acknowledged update and no half-written batch', async () => {
    for (const killAfter of [5, 40, 200]) {
      const { runId, lastAck } = await runAndKill(dir, killAfter);
      expect(lastAck).toBeGreaterThanOrEqual(killAfter);

      const db = new DatabaseSync(join(dir, 'ferry.db'));
      expect(db.prepare('PRAGMA integrity_check').get()?.integrity_check).toBe('ok');
      db.close();

      const ledger = await openSqliteLedger(dir);
      // The killed writer's lock is stale: taken over, and its run is found crashed.
      ledger.acquireRunLock();
      expect(await ledger.markCrashedRuns('crash')).toEqual([runId]);

      const counter = (await ledger.getRecords('crash', ['counter'])).get('counter')!;
      const committed = counter.attempts;
      // Acknowledged means committed; at most the batch in progress at the kill committed unacknowledged.
      expect(committed === lastAck || committed === lastAck + 1).toBe(true);
      const keys: string[] = [];
      for (let batch = 0; batch <= committed + 1; batch++) {
        for (let i = 0; i < BATCH_SIZE; i++) keys.push(`b${batch}-r${i}`);
      }
      const rows = await ledger.getRecords('crash', keys);
      for (let batch = 0; batch <= committed + 1; batch++) {
        const present = Array.from({ length: BATCH_SIZE }, (_, i) => rows.get(`b${batch}-r${i}`)).filter(
          (row) => row?.runId === runId,
        );
        // Whole batches or nothing: batch `committed + 1` was never committed.
        expect(present.length).toBe(batch <= committed ? BATCH_SIZE : 0);
      }
      const letters = (await ledger.listDeadLetters({ integration: 'crash' })).filter(
        (l) => l.runId === runId,
      );
      expect(letters).toHaveLength(committed + 1);
      await ledger.close();
    }
  });
});
