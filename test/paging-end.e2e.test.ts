import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { expectedCustomers } from '../src/mocks/index.ts';
import { flagshipConfig, runFerry } from './support/ferry-cli.ts';
import { startFlagshipMocks } from './support/flagship-mocks.ts';
import { tempDirs } from './support/temp-dirs.ts';

/** The flagship with its `pagination` block replaced by `source` (YAML lines indented for `source:`). */
async function flagshipPaging(dir: string, sourceBlock: string): Promise<string> {
  const config = (await readFile(flagshipConfig, 'utf8'))
    .replace(/^mapping: \.\//m, `mapping: ${join(flagshipConfig, '..')}/`)
    .replace(/^ {2}pagination:\n {4}type: auto\n/m, sourceBlock);
  const file = join(dir, 'paging.yaml');
  await writeFile(file, config);
  return file;
}

describe('ferry run to the real end of a paged source', () => {
  const dirs = tempDirs('ferry-paging-');
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
    await dirs.removeAll();
  });

  it('reads past a page-size cap to a DRF-style 404 that ends the read, and settles every record', async () => {
    const mocks = await startFlagshipMocks({
      count: 1050,
      seed: 5,
      sourcePaging: { maxPageSize: 100, endStatus: 404 },
    });
    closers.push(mocks.close);
    const dir = await dirs.make();
    const config = await flagshipPaging(
      dir,
      [
        '  pagination: { type: page_number, page_size: 500 }',
        '  responses:',
        '    - { status: 404, body_contains: "Invalid page", action: end_of_data }',
        '',
      ].join('\n'),
    );
    const result = await runFerry(['run', config, '--state', join(dir, 'state'), '--json'], {
      env: mocks.env,
    });
    const report = JSON.parse(result.stdout);
    const expected = expectedCustomers(5, 1050);
    // Exit 1 only because the mock's dirty customers are quarantined; the read itself ended cleanly.
    expect(result.code).toBe(1);
    expect(report.status).toBe('completed_with_errors');
    expect(report.counts.read).toBe(1050);
    expect(report.counts.quarantined).toBe(expected.quarantined);
    expect(mocks.destination.stats().distinctOrderIds).toBe(expected.distinctValidIds.length);
  });

  it('exits 3 naming expected and read counts when the source stops short of its announced total', async () => {
    const mocks = await startFlagshipMocks({
      count: 1050,
      seed: 5,
      sourcePaging: { maxPageSize: 100, serveAtMost: 1000 },
    });
    closers.push(mocks.close);
    const dir = await dirs.make();
    const config = await flagshipPaging(dir, '  pagination: { type: offset, limit: 250 }\n');
    const result = await runFerry(['run', config, '--state', join(dir, 'state'), '--json'], {
      env: mocks.env,
    });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('FERRY_ERR_SOURCE_INCOMPLETE');
    expect(result.stderr).toContain('announced 1050 records but the complete read returned 1000');
    expect(JSON.parse(result.stdout).counts.read).toBe(1000);
  });

  it('lets the run finish with a warning when on_total_mismatch is warn', async () => {
    const mocks = await startFlagshipMocks({
      count: 300,
      seed: 5,
      sourcePaging: { serveAtMost: 250 },
    });
    closers.push(mocks.close);
    const dir = await dirs.make();
    const config = await flagshipPaging(
      dir,
      '  pagination: { type: page_number, page_size: 100 }\n  on_total_mismatch: warn\n',
    );
    const result = await runFerry(
      ['run', config, '--state', join(dir, 'state'), '--json', '--log-format', 'json'],
      { env: mocks.env },
    );
    expect(result.code).toBe(1); // the quarantined dirty customers, nothing else
    expect(result.stderr + result.stdout).toContain(
      'the source announced 300 records but the complete read returned 250',
    );
  });
});
