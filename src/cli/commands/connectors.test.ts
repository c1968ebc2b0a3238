import { afterEach, describe, expect, it, vi } from 'vitest';
import { sinkSpecs, sourceSpecs } from '../../connectors/registry.ts';
import { main } from '../main.ts';

afterEach(() => {
  process.exitCode = undefined;
  vi.restoreAllMocks();
});

/** Runs `ferry <args>` in-process and returns what it printed on stdout and stderr. */
async function ferry(...args: string[]): Promise<{ out: string; err: string }> {
  let out = '';
  let err = '';
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    out += String(chunk);
    return true;
  });
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    err += String(chunk);
    return true;
  });
  await main(args);
  return { out, err };
}

describe('ferry connectors', () => {
  it('lists every registered type with what it does as a source and as a destination', async () => {
    const { out } = await ferry('connectors', '--json');
    const listed = JSON.parse(out) as { type: string; source: string | null; destination: string | null }[];
    const types = new Set([...sourceSpecs, ...sinkSpecs].map((spec) => spec.type));
    expect(listed.map((c) => c.type).sort()).toEqual([...types].sort());
    const rest = listed.find((c) => c.type === 'rest');
    expect(rest?.source).toBe(sourceSpecs.find((s) => s.type === 'rest')?.docs.summary);
    expect(rest?.destination).toBe(sinkSpecs.find((s) => s.type === 'rest')?.docs.summary);
  });

  it("prints one type's reference: its keys with defaults and an example", async () => {
    const { out } = await ferry('connectors', 'show', 'rest');
    expect(out).toContain('## As a source: REST source');
    expect(out).toContain('| `records_path` |');
    expect(out).toContain('### Example');
  });

  it('names the types it has when asked for one it does not, exit 2', async () => {
    const { err } = await ferry('connectors', 'show', 'carrier-pigeon');
    expect(err).toContain('no connector of type "carrier-pigeon"');
    expect(err).toContain('rest');
    expect(process.exitCode).toBe(2);
  });
});
