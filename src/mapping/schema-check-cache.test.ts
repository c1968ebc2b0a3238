import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createSchemaCheckCache } from './schema-check-cache.ts';

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));

describe('createSchemaCheckCache', () => {
  it('remembers exactly the texts that passed, across instances', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ferry-schema-checks-'));
    dirs.push(dir);
    const first = createSchemaCheckCache(join(dir, 'checks'));
    expect(first.passed('{"type":"object"}')).toBe(false);
    first.remember('{"type":"object"}');
    const second = createSchemaCheckCache(join(dir, 'checks'));
    expect(second.passed('{"type":"object"}')).toBe(true);
    expect(second.passed('{"type":"object" }')).toBe(false);
  });

  it('skips a cache it cannot write', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ferry-schema-checks-'));
    dirs.push(dir);
    // A regular file where the directory should be: no directory can be made under it.
    await writeFile(join(dir, 'file'), '');
    const cache = createSchemaCheckCache(join(dir, 'file', 'checks'));
    expect(() => cache.remember('{}')).not.toThrow();
    expect(cache.passed('{}')).toBe(false);
  });
});
