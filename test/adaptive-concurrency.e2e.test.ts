import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { flagshipConfig, runFerry } from './support/ferry-cli.ts';
import { startFlagshipMocks } from './support/flagship-mocks.ts';
import { tempDirs } from './support/temp-dirs.ts';

const dirs = tempDirs('ferry-adaptive-');
afterAll(() => dirs.removeAll());

describe('adaptive concurrency, run as a user runs it', () => {
  it('finds a capacity-limited destination without tipping it into 503s, and reports its limit', async () => {
    // 16 workers, 20 ms a POST: latency grows past 16 requests in flight, 503s past 32.
    const capacity = 16;
    const mocks = await startFlagshipMocks({
      count: 1000,
      perPage: 100,
      destinationFaults: { capacity, latencyMs: 20 },
    });
    try {
      const state = await dirs.make();
      const reportFile = join(state, 'report.json');
      const result = await runFerry(['run', flagshipConfig, '--state', state, '--report', reportFile], {
        env: mocks.env,
      });
      expect(result.code, result.stderr).toBe(1); // the data set's dirty customers are quarantined
      const report = JSON.parse(await readFile(reportFile, 'utf8'));
      expect(report.counts.failed, JSON.stringify(report.deadLetters.byReason)).toBe(0);
      expect(mocks.destination.stats().overloaded).toBe(0);
      expect(mocks.destination.stats().peakInFlight).toBeLessThanOrEqual(2 * capacity);
      expect(report.concurrency).toMatchObject({ endpoint: 'destination', adaptive: true, initial: 16 });
      expect(report.concurrency.highest).toBeLessThan(2 * capacity);
      expect(report.concurrency.timeline[0]).toEqual([expect.any(Number), 16]);
      expect(report.concurrency.mean).toBeGreaterThan(0);
    } finally {
      await mocks.close();
    }
  });

  it('keeps a fixed concurrency when given a number, and says so in the report', async () => {
    const mocks = await startFlagshipMocks({ count: 20 });
    try {
      const state = await dirs.make();
      const reportFile = join(state, 'report.json');
      const result = await runFerry(
        ['run', flagshipConfig, '--state', state, '--report', reportFile, '--concurrency', '3'],
        { env: mocks.env },
      );
      expect(result.code, result.stderr).toBe(0);
      const report = JSON.parse(await readFile(reportFile, 'utf8'));
      expect(report.concurrency).toMatchObject({
        adaptive: false,
        initial: 3,
        final: 3,
        lowest: 3,
        highest: 3,
        changes: {},
      });
    } finally {
      await mocks.close();
    }
  });
});
