// An XML page is read at flat memory however large it is: the same read of a document ten times larger
// holds no more heap and buffers (measured after a full GC, in a process of its own), because records are
// handed on as they close and the socket waits while the reader does not pull.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const probe = fileURLToPath(new URL('./support/xml-memory-probe.ts', import.meta.url));

async function peakFor(customers: number) {
  const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', probe, String(customers)], {
    maxBuffer: 1024 * 1024,
  });
  return JSON.parse(stdout) as { records: number; pages: number; peakMb: number };
}

describe('the XML source at flat memory', () => {
  it('reads a 20,000 and a 200,000 customer document (about 5 and 50 MB) at the same peak memory', async () => {
    const small = await peakFor(20_000);
    const large = await peakFor(200_000);
    expect(small.records).toBe(20_000);
    expect(large.records).toBe(200_000);
    // Buffering the document, or the records, would add the 45 MB difference (and more as objects).
    expect(large.peakMb).toBeLessThan(small.peakMb + 8);
  }, 180_000);
});
