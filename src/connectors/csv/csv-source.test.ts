import { appendFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDirs } from '../../../test/support/temp-dirs.ts';
import type { SourceConnector } from '../../core/connector-types.ts';
import { type FerryError, hasErrorCode } from '../../core/errors.ts';
import { fileTestContext, readAllPages, readUntilFailure } from '../files/test-support.ts';
import { csvSource } from './source-spec.ts';

const dirs = tempDirs('ferry-csv-source-');
afterAll(() => dirs.removeAll());

async function sourceFor(
  content: string | Buffer,
  options: Record<string, unknown> = {},
  name = 'customers.csv',
): Promise<{ source: SourceConnector; path: string; dir: string }> {
  const dir = await dirs.make();
  const path = join(dir, name);
  await writeFile(path, content);
  const source = await csvSource.create(
    csvSource.options.parse({ path: name, ...options }),
    fileTestContext(dir),
  );
  return { source, path, dir };
}

const HEADER = 'customer_id,first_name,last_name,email,street,city,state,zip,phone';

function customers(count: number, from = 1): string {
  let text = '';
  for (let id = from; id < from + count; id++)
    text += `${id},Ann${id},Lee,ann${id}@example.com,${id} Main St,Springfield,IL,6270${id % 10},\n`;
  return text;
}

describe('csv source', () => {
  it('reads records keyed by the header, an empty cell being no key at all', async () => {
    const { source } = await sourceFor(`${HEADER}\n1,Ann,,ann@example.com,1 Main St,Springfield,IL,62701,\n`);
    const pages = await readAllPages(source);
    expect(pages).toHaveLength(1);
    expect(pages[0]!.records).toEqual([
      {
        customer_id: '1',
        first_name: 'Ann',
        email: 'ann@example.com',
        street: '1 Main St',
        city: 'Springfield',
        state: 'IL',
        zip: '62701',
      },
    ]);
    expect(pages[0]!.positions).toEqual(['customers.csv:2']);
    expect(pages[0]!.next).toBeNull();
    expect(pages[0]!.totalRecords).toBeUndefined();
  });

  it('names the physical line a record starts on, across quoted line breaks, CRLF and blank lines', async () => {
    const text = [
      'id,note\r\n',
      '1,"two\r\nlines"\r\n',
      '\r\n',
      '2,"say ""hi"", then\nleave"\n',
      '3,plain\n',
    ].join('');
    const { source } = await sourceFor(text, { path: 'notes.csv' }, 'notes.csv');
    const [page] = await readAllPages(source);
    expect(page!.records).toEqual([
      { id: '1', note: 'two\r\nlines' },
      { id: '2', note: 'say "hi", then\nleave' },
      { id: '3', note: 'plain' },
    ]);
    expect(page!.positions).toEqual(['notes.csv:2', 'notes.csv:5', 'notes.csv:7']);
  });

  it('hands out pages of page_size with a checkpoint each, and no empty page at the end', async () => {
    const { source } = await sourceFor(`${HEADER}\n${customers(10)}`, { page_size: 5 });
    const pages = await readAllPages(source);
    expect(pages.map((page) => page.records.length)).toEqual([5, 5]);
    expect(pages[0]!.next).toMatchObject({ line: 7, records: 5, file: 'customers.csv' });
    expect(pages[0]!.recordsBefore).toBe(0);
    expect(pages[1]!.recordsBefore).toBe(5);
    expect(pages[1]!.next).toBeNull();
    expect(pages[0]!.label).toBe('customers.csv lines 2-6');
  });

  it('quarantines a row with too few or too many cells, naming the missing column', async () => {
    const { source } = await sourceFor('a,b,c\n1,2,3\n4,5\n6,7,8,9\n');
    const [page] = await readAllPages(source);
    expect(page!.records).toHaveLength(3);
    expect(page!.rejects?.get(0)).toBeUndefined();
    expect(page!.rejects?.get(1)).toEqual([
      { field: 'c', code: 'column_count', message: 'the row has 2 fields, the header 3: c is missing' },
    ]);
    expect(page!.rejects?.get(2)?.[0]).toMatchObject({ code: 'column_count' });
    expect(page!.records[2]).toEqual({ a: '6', b: '7', c: '8', _4: '9' });
  });

  it('quarantines a value that is not UTF-8, naming its column', async () => {
    const bytes = Buffer.concat([
      Buffer.from('id,name\n1,'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('\n2,ok\n'),
    ]);
    const { source } = await sourceFor(bytes);
    const [page] = await readAllPages(source);
    expect(page!.rejects?.get(0)?.[0]).toMatchObject({ field: 'name', code: 'invalid_utf8' });
    expect(page!.rejects?.has(1)).toBe(false);
  });

  it('reads latin1 when told to', async () => {
    const { source } = await sourceFor(Buffer.from('id,name\n1,Zo\xeb\n', 'latin1'), { encoding: 'latin1' });
    const [page] = await readAllPages(source);
    expect(page!.records).toEqual([{ id: '1', name: 'Zoë' }]);
  });

  it('skips a byte order mark, before a quoted header too, and resumes past it', async () => {
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    const { source } = await sourceFor(Buffer.concat([bom, Buffer.from('"id",name\n1,a\n2,b\n3,c\n')]), {
      page_size: 1,
    });
    const pages = await readAllPages(source);
    expect(pages.flatMap((page) => page.records)).toEqual([
      { id: '1', name: 'a' },
      { id: '2', name: 'b' },
      { id: '3', name: 'c' },
    ]);
    expect(pages[0]!.next).toMatchObject({ byte: 17, line: 3 });
    const resumed = await readAllPages(source, pages[1]!.next);
    expect(resumed[0]!.records).toEqual([{ id: '3', name: 'c' }]);
    expect(resumed[0]!.positions).toEqual(['customers.csv:4']);
  });

  it('reads a headerless file with configured columns, and renames a header', async () => {
    const headerless = await sourceFor('1,Ann\n', { header: false, columns: ['id', 'name'] });
    expect((await readAllPages(headerless.source))[0]!.records).toEqual([{ id: '1', name: 'Ann' }]);
    const renamed = await sourceFor('ID,Full Name\n1,Ann\n', { columns: ['id', 'name'] });
    const [page] = await readAllPages(renamed.source);
    expect(page!.records).toEqual([{ id: '1', name: 'Ann' }]);
    expect(page!.positions).toEqual(['customers.csv:2']);
  });

  it('reads tab-separated values', async () => {
    const { source } = await sourceFor('id\tname\n1\tAnn, Lee\n', { delimiter: '\t' });
    expect((await readAllPages(source))[0]!.records).toEqual([{ id: '1', name: 'Ann, Lee' }]);
  });

  it('refuses a header with a duplicate or an empty name', async () => {
    const duplicate = await readUntilFailure((await sourceFor('id,email,email\n1,a,b\n')).source);
    expect((duplicate.error as FerryError).message).toBe(
      'customers.csv:1: the header names email twice (columns 2 and 3)',
    );
    const empty = await readUntilFailure((await sourceFor('id,,x\n1,a,b\n')).source);
    expect((empty.error as FerryError).message).toMatch(
      /^customers\.csv:1: column 2 of the header has no name/,
    );
  });

  describe('a malformed file ends the read, naming file and line, after the records before it', () => {
    it('a quote never closed', async () => {
      const { source } = await sourceFor(`id,name\n1,Ann\n2,"Bob\n3,Cy\n`, { page_size: 1 });
      const { pages, error } = await readUntilFailure(source);
      expect(hasErrorCode(error, 'FERRY_ERR_SOURCE_MALFORMED')).toBe(true);
      expect((error as FerryError).kind).toBe('aborted');
      expect((error as FerryError).message).toBe(
        'customers.csv:3: a quoted field opened in this record is never closed before the end of the file',
      );
      // The page before the damage was handed out; the one holding it never is.
      expect(pages.flatMap((page) => page.records)).toEqual([]);
    });

    it('text after a closing quote', async () => {
      const { source } = await sourceFor(`id,name\n1,Ann\n2,Bob\n3,"Cy"x\n`, { page_size: 1 });
      const { pages, error } = await readUntilFailure(source);
      expect((error as FerryError).message).toMatch(
        /^customers\.csv:4: a closing quote is followed by other text/,
      );
      expect(pages.flatMap((page) => page.records)).toEqual([{ id: '1', name: 'Ann' }]);
    });

    it('a NUL byte: binary content', async () => {
      const bytes = Buffer.concat([Buffer.from('id,name\n1,Ann\n2,B'), Buffer.from([0]), Buffer.from('b\n')]);
      const { error } = await readUntilFailure((await sourceFor(bytes)).source);
      expect((error as FerryError).message).toBe(
        'customers.csv:3: binary content (a NUL byte) in name: is this a CSV file?',
      );
    });

    it('a binary file', async () => {
      const png = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex');
      const { error } = await readUntilFailure((await sourceFor(png, {}, 'logo.csv')).source);
      expect(hasErrorCode(error, 'FERRY_ERR_SOURCE_MALFORMED')).toBe(true);
      expect((error as FerryError).message).toMatch(/^logo\.csv:\d+: /);
    });

    it('a zip archive', async () => {
      const zip = Buffer.from('504b0304140000000800', 'hex');
      const { error } = await readUntilFailure((await sourceFor(zip, {}, 'customers.zip')).source);
      expect((error as FerryError).message).toBe(
        'customers.zip: the file is a zip archive; ferry reads plain or gzip-compressed files',
      );
    });

    it('a truncated gzip file', async () => {
      const whole = gzipSync(`${HEADER}\n${customers(2000)}`);
      const { source } = await sourceFor(whole.subarray(0, whole.length - 200), {}, 'customers.csv.gz');
      const { error } = await readUntilFailure(source);
      expect(hasErrorCode(error, 'FERRY_ERR_SOURCE_MALFORMED')).toBe(true);
      expect((error as FerryError).message).toMatch(
        /^customers\.csv\.gz:\d+: the gzip data ends early \(a truncated file or download\?\)$/,
      );
    });
  });

  it('a missing file is named', async () => {
    const dir = await dirs.make();
    const source = await csvSource.create(
      csvSource.options.parse({ path: 'nope.csv' }),
      fileTestContext(dir),
    );
    const { error } = await readUntilFailure(source);
    expect(hasErrorCode(error, 'FERRY_ERR_CONFIG_NOT_FOUND')).toBe(true);
    expect((error as FerryError).message).toBe(`source file ${join(dir, 'nope.csv')} does not exist`);
  });

  it('gunzips a file by its first bytes, whatever its name', async () => {
    const { source } = await sourceFor(gzipSync(`${HEADER}\n${customers(3)}`), {}, 'export.bin');
    const [page] = await readAllPages(source);
    expect(page!.records).toHaveLength(3);
    expect(page!.positions).toEqual(['export.bin:2', 'export.bin:3', 'export.bin:4']);
  });

  describe('resumes at a checkpoint', () => {
    for (const [kind, encode] of [
      ['a plain file (by seeking)', (text: string) => Buffer.from(text)],
      ['a gzip file (by skipping)', (text: string) => gzipSync(text)],
    ] as const) {
      it(kind, async () => {
        const { source } = await sourceFor(encode(`${HEADER}\n${customers(25)}`), { page_size: 10 });
        const first = await readAllPages(source);
        const checkpoint = first[1]!.next!;
        expect(checkpoint).toMatchObject({ line: 22, records: 20 });
        const resumed = await readAllPages(source, checkpoint);
        expect(resumed).toHaveLength(1);
        expect(resumed[0]!.records).toEqual(first[2]!.records);
        expect(resumed[0]!.positions).toEqual(first[2]!.positions);
        expect(resumed[0]!.recordsBefore).toBe(20);
        expect(resumed[0]!.label).toBe('customers.csv lines 22-26');
      });
    }

    it('goes on in a file that grew', async () => {
      const { source, path } = await sourceFor(`${HEADER}\n${customers(10)}`, { page_size: 5 });
      const checkpoint = (await readAllPages(source))[0]!.next!;
      await appendFile(path, customers(3, 11));
      const resumed = await readAllPages(source, checkpoint);
      expect(
        resumed.flatMap((page) => page.records).map((r) => (r as { customer_id: string }).customer_id),
      ).toEqual(['6', '7', '8', '9', '10', '11', '12', '13']);
    });

    it('starts over in a file written anew, and says so', async () => {
      const { source, path } = await sourceFor(`${HEADER}\n${customers(10)}`, { page_size: 5 });
      const checkpoint = (await readAllPages(source))[0]!.next!;
      await writeFile(path, `${HEADER}\n${customers(10, 100)}`);
      const resumed = await readAllPages(source, checkpoint);
      expect(resumed.flatMap((page) => page.records)).toHaveLength(10);
      expect(resumed[0]!.label).toBe(
        'customers.csv lines 2-6 (customers.csv changed since the checkpoint (line 7): read from the start)',
      );
    });

    it('starts over on a checkpoint of another shape', async () => {
      const { source } = await sourceFor(`${HEADER}\n${customers(3)}`);
      const pages = await readAllPages(source, { url: 'https://example.com/page/2' });
      expect(pages[0]!.records).toHaveLength(3);
    });
  });

  it('refuses options that cannot work', () => {
    expect(csvSource.options.safeParse({ path: 'a.csv', header: false }).success).toBe(false);
    expect(csvSource.options.safeParse({ path: 'a.csv', delimiter: ';;' }).success).toBe(false);
    expect(csvSource.options.safeParse({ path: 'a.csv', auth: { type: 'bearer', token: 'x' } }).success).toBe(
      true,
    );
  });

  it('needs no download settings for a local file, and uses none', async () => {
    const dir = await dirs.make();
    await writeFile(join(dir, 'a.csv'), 'id\n1\n');
    const options = { path: 'a.csv', auth: { type: 'bearer', token: 'x' }, headers: { 'x-tenant': 'a' } };
    const source = await csvSource.create(csvSource.options.parse(options), fileTestContext(dir));
    expect((await readAllPages(source))[0]!.records).toEqual([{ id: '1' }]);
  });
});
