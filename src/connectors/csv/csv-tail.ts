import type { FileHandle } from 'node:fs/promises';
import { readBytes } from '../files/append-writer.ts';

const LF = 0x0a;
const BLOCK = 1024 * 1024;

/**
 * The length of the complete records at the start of a CSV file: up to the last line end outside quotes.
 * A torn last row may end in a line break of its own (inside a quoted value), so the last LF is not
 * enough; whether an LF is inside quotes depends on every quote before it (a doubled quote toggles twice),
 * so the file is read once from its start. Done once per run, when the sink opens its last file.
 */
export async function completeCsvLength(handle: FileHandle, size: number, quote: string): Promise<number> {
  const quoteByte = Buffer.from(quote)[0]!;
  let inQuotes = false;
  let complete = 0;
  for (let start = 0; start < size; start += BLOCK) {
    const bytes = await readBytes(handle, start, Math.min(BLOCK, size - start));
    let at = 0;
    while (at < bytes.length) {
      const nextQuote = bytes.indexOf(quoteByte, at);
      const stop = nextQuote === -1 ? bytes.length : nextQuote;
      if (!inQuotes && stop > at) {
        const lastBreak = bytes.lastIndexOf(LF, stop - 1);
        if (lastBreak >= at) complete = start + lastBreak + 1;
      }
      if (nextQuote === -1) break;
      inQuotes = !inQuotes;
      at = nextQuote + 1;
    }
  }
  return complete;
}
