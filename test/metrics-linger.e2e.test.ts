import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePrometheusText, sampleValue } from './security/prometheus-text.ts';
import { freePort } from './security/security-support.ts';
import { flagshipConfig, startFerry } from './support/ferry-cli.ts';
import { startFlagshipMocks } from './support/flagship-mocks.ts';
import { tempDirs } from './support/temp-dirs.ts';

describe('ferry run --metrics-linger', () => {
  it('keeps /metrics up after the run, so a scraper sees final values equal to the report', async () => {
    const dirs = tempDirs('ferry-linger-');
    const mocks = await startFlagshipMocks({ count: 150, seed: 3, perPage: 50 });
    try {
      const dir = await dirs.make();
      const port = await freePort();
      const ferry = startFerry(
        [
          'run',
          flagshipConfig,
          '--state',
          dir,
          '--report',
          join(dir, 'r.json'),
          '--metrics-port',
          String(port),
          '--metrics-linger',
          '20s',
          '--log-format',
          'json',
        ],
        { env: mocks.env },
      );
      await ferry.waitForStderr(/serving the final metrics/);
      const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      ferry.kill('SIGINT');
      const result = await ferry.done;
      expect(result.code).toBe(1);
      const report = JSON.parse(await readFile(join(dir, 'r.json'), 'utf8'));
      const exposition = parsePrometheusText(text);
      for (const state of ['read', 'delivered', 'skipped', 'quarantined', 'failed'] as const) {
        expect(sampleValue(exposition, 'ferry_records_total', { state }), state).toBe(report.counts[state]);
      }
    } finally {
      await mocks.close();
      await dirs.removeAll();
    }
  });
});
