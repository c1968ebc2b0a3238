import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDirs } from '../../../test/support/temp-dirs.ts';
import { type FerryError, hasErrorCode } from '../../core/errors.ts';
import { AppendWriter, completeLines } from './append-writer.ts';
import { fileTemplate } from './file-template.ts';

const dirs = tempDirs('ferry-append-writer-');
afterAll(() => dirs.removeAll());

const rows = (...texts: string[]) => texts.map((text) => Buffer.from(`${text}\n`));

describe('append writer', () => {
  it('writes appends that wait together in order, telling each row where it went', async () => {
    const dir = await dirs.make();
    const writer = await AppendWriter.open({
      template: fileTemplate(join(dir, 'deep/er/out.txt')),
      header: () => Buffer.from('header\n'),
      completeLength: completeLines,
    });
    const [first, second, third] = await Promise.all([
      writer.append(rows('a', 'b')),
      writer.append(rows('c')),
      writer.append(rows('d')),
    ]);
    expect(first).toEqual([
      { file: 1, offset: 7 },
      { file: 1, offset: 9 },
    ]);
    expect(second).toEqual([{ file: 1, offset: 11 }]);
    expect(third).toEqual([{ file: 1, offset: 13 }]);
    await writer.close();
    expect(await readFile(join(dir, 'deep/er/out.txt'), 'utf8')).toBe('header\na\nb\nc\nd\n');
  });

  it('rotates to the next numbered file, each starting with its header', async () => {
    const dir = await dirs.make();
    const template = fileTemplate(join(dir, 'out-{n}.txt'));
    const options = {
      template,
      rotateBytes: 12,
      header: () => Buffer.from('h\n'),
      completeLength: completeLines,
    };
    const writer = await AppendWriter.open(options);
    const placed = await writer.append(rows('aaaa', 'bbbb', 'cccccccccccccccc', 'd'));
    expect(placed.map((place) => place.file)).toEqual([1, 1, 2, 3]);
    await writer.close();
    expect(await readFile(join(dir, 'out-1.txt'), 'utf8')).toBe('h\naaaa\nbbbb\n');
    expect(await readFile(join(dir, 'out-2.txt'), 'utf8')).toBe('h\ncccccccccccccccc\n');
    expect(await readFile(join(dir, 'out-3.txt'), 'utf8')).toBe('h\nd\n');
    // A new writer goes on in the last file.
    const again = await AppendWriter.open(options);
    expect(await again.append(rows('e'))).toEqual([{ file: 3, offset: 4 }]);
    await again.close();
  });

  it('runs an exclusive task between appends', async () => {
    const dir = await dirs.make();
    const writer = await AppendWriter.open({
      template: fileTemplate(join(dir, 'o.txt')),
      completeLength: completeLines,
    });
    const pending = writer.append(rows('a'));
    const seen = writer.exclusive(async () => readFile(join(dir, 'o.txt'), 'utf8'));
    const after = writer.append(rows('b'));
    expect(await seen).toBe('a\n');
    await Promise.all([pending, after]);
    await writer.close();
  });

  it('says which file cannot be written', async () => {
    const dir = await dirs.make();
    await mkdir(join(dir, 'o.txt'));
    const error = await AppendWriter.open({
      template: fileTemplate(join(dir, 'o.txt')),
      completeLength: completeLines,
    }).catch((e: unknown) => e);
    expect(hasErrorCode(error, 'FERRY_ERR_DESTINATION_WRITE')).toBe(true);
    expect((error as FerryError).message).toMatch(/o\.txt/);
  });
});
