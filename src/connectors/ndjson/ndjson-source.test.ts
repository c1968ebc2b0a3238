import { appendFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDirs } from '../../../test/support/temp-dirs.ts';
import type { SourceConnector } from '../../core/connector-types.ts';
import { type FerryError, hasErrorCode } from '../../core/errors.ts';
import { fileTestContext, readAllPages, readUntilFailure } from '../files/test-support.ts';
import { ndjsonSource } from './source-spec.ts';

const dirs = tempDirs('ferry-ndjson-source-');
afterAll(() => dirs.removeAll());

async function sourceFor(
  content: string | Buffer,
  options: Record<string, unknown> = {},
  name = 'customers.ndjson',
): Promise<{ source: SourceConnector; path: string }> {
  const dir = await dirs.make();
  const path = join(dir, name);
  await writeFile(path, content);
  const source = await ndjsonSource.create(
    ndjsonSource.options.parse({ path: name, ...options }),
    fileTestContext(dir),
  );
  return { source, path };
}

function lines(count: number, from = 1): string {
  let text = '';
  for (let id = from; id < from + count; id++)
    text += `${JSON.stringify({ customer_id: id, email: `c${id}@example.com` })}\n`;
  return text;
}

describe('ndjson source', () => {
  it('reads one value per line, skipping blank lines, with each line named', async () => {
    const { source } = await sourceFor('{"id":1}\r\n\n  \n{"id":2,"tags":["a"]}\n{"id":3}');
    const [page] = await readAllPages(source);
    expect(page!.records).toEqual([{ id: 1 }, { id: 2, tags: ['a'] }, { id: 3 }]);
    expect(page!.positions).toEqual(['customers.ndjson:1', 'customers.ndjson:4', 'customers.ndjson:5']);
    expect(page!.next).toBeNull();
  });

  it("quarantines a line that is not JSON with the parser's reason, and goes on", async () => {
    const { source } = await sourceFor('{"id":1}\n{"id":2,\n{"id":3}\n');
    const [page] = await readAllPages(source);
    expect(page!.records).toEqual([{ id: 1 }, '{"id":2,', { id: 3 }]);
    expect(page!.rejects?.get(1)?.[0]).toMatchObject({ code: 'invalid_json' });
    expect(page!.rejects?.get(1)?.[0].message).toMatch(/^is not valid JSON: /);
    expect(page!.positions![1]).toBe('customers.ndjson:2');
  });

  it('hints at a JSON array that is not NDJSON', async () => {
    const { source } = await sourceFor('[\n{"id":1},\n]\n');
    const [page] = await readAllPages(source);
    expect(page!.rejects?.get(0)?.[0].message).toMatch(/one JSON array rather than a value per line/);
  });

  it('ends the read at a NUL byte, naming file and line', async () => {
    const { source } = await sourceFor(
      Buffer.concat([Buffer.from('{"id":1}\n{"id":'), Buffer.from([0]), Buffer.from('}\n')]),
    );
    const { error } = await readUntilFailure(source);
    expect(hasErrorCode(error, 'FERRY_ERR_SOURCE_MALFORMED')).toBe(true);
    expect((error as FerryError).message).toBe(
      'customers.ndjson:2: binary content (a NUL byte): is this an NDJSON file?',
    );
  });

  it('ends the read at a line past max_record_bytes without holding it', async () => {
    const { source } = await sourceFor(`{"id":1}\n${'x'.repeat(5000)}`, { max_record_bytes: 1024 });
    const { error } = await readUntilFailure(source);
    expect((error as FerryError).message).toMatch(
      /^customers\.ndjson:2: a line longer than max_record_bytes/,
    );
  });

  it('reads gzip and resumes at a checkpoint, seeking or skipping', async () => {
    for (const encode of [(text: string) => Buffer.from(text), (text: string) => gzipSync(text)]) {
      const { source } = await sourceFor(encode(lines(25)), { page_size: 10 });
      const pages = await readAllPages(source);
      expect(pages.map((page) => page.records.length)).toEqual([10, 10, 5]);
      const resumed = await readAllPages(source, pages[0]!.next);
      expect(resumed.flatMap((page) => page.positions)).toEqual(
        pages.slice(1).flatMap((page) => page.positions),
      );
      expect(resumed[0]!.positions![0]).toBe('customers.ndjson:11');
    }
  });

  it('goes on in a file that grew and starts over in one written anew', async () => {
    const { source, path } = await sourceFor(lines(10), { page_size: 5 });
    const checkpoint = (await readAllPages(source))[0]!.next;
    await appendFile(path, lines(2, 11));
    expect((await readAllPages(source, checkpoint)).flatMap((page) => page.records)).toHaveLength(7);
    await writeFile(path, lines(10, 50));
    const anew = await readAllPages(source, checkpoint);
    expect(anew.flatMap((page) => page.records)).toHaveLength(10);
    expect(anew[0]!.label).toMatch(/changed since the checkpoint/);
  });
});
