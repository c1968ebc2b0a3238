import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDirs } from '../../../test/support/temp-dirs.ts';
import { fileTemplate, validTemplate } from './file-template.ts';

const dirs = tempDirs('ferry-file-template-');
afterAll(() => dirs.removeAll());

describe('file template', () => {
  it('numbers files and lists the ones that exist, in numeric order', async () => {
    const dir = await dirs.make();
    await mkdir(join(dir, 'out'));
    for (const name of [
      'orders-1.csv',
      'orders-10.csv',
      'orders-2.csv',
      'orders-x.csv',
      'orders-01.csv',
      'other.csv',
    ])
      await writeFile(join(dir, 'out', name), '');
    const template = fileTemplate(join(dir, 'out/orders-{n}.csv'));
    expect(template.pathOf(3)).toBe(join(dir, 'out/orders-3.csv'));
    expect(await template.existing()).toEqual([1, 2, 10]);
    expect(await fileTemplate(join(dir, 'out/other.csv')).existing()).toEqual([1]);
    expect(await fileTemplate(join(dir, 'nowhere/o.csv')).existing()).toEqual([]);
  });

  it('allows {n} once, in the file name', () => {
    expect(validTemplate('out/o-{n}.csv')).toBe(true);
    expect(validTemplate('out/o.csv')).toBe(true);
    expect(validTemplate('out-{n}/o.csv')).toBe(false);
    expect(validTemplate('o-{n}-{n}.csv')).toBe(false);
  });
});
