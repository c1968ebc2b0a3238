import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMapping } from './load-mapping.ts';
import type { CompiledMapping } from './mapping-types.ts';

const bindings = { firstMappedAt: '2024-05-01T00:00:00Z' };
let dir: string;
let interpreted: CompiledMapping;
let mixed: CompiledMapping;

// The key and the first check are inside the compiled subset (until a record puts an array in their path),
// the second check and the body are not ($count, a lambda): one record takes both ways through apply().
const MIXED = [
  'key: a.id',
  'input:',
  '  checks:',
  '    - expr: $type(a.id) = "string" or $type(a.id) = "number"',
  '      fields: [a]',
  '      code: id_scalar',
  '      message: a.id must be a string or a number',
  '    - expr: $count(tags) < 3',
  '      fields: [tags]',
  '      code: few_tags',
  '      message: at most two tags',
  'output:',
  '  fields:',
  '    id: $string(a.id)',
  '    tags: $map(tags, function($t) { $uppercase($t) })',
].join('\n');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-compile-mapping-'));
  const file = join(dir, 'mixed.mapping.yaml');
  await writeFile(file, MIXED);
  interpreted = await loadMapping(file, { interpretOnly: true });
  mixed = await loadMapping(file);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('compileMapping', () => {
  it('gives the interpreter’s results when some expressions of a record need the interpreter and others do not', async () => {
    const id = fc.oneof(
      fc.string(),
      fc.integer(),
      fc.constant(null),
      fc.array(fc.integer(), { maxLength: 2 }),
    );
    const record = fc.record(
      {
        a: fc.oneof(fc.record({ id }), fc.array(fc.record({ id }), { maxLength: 2 }), fc.string()),
        tags: fc.oneof(fc.array(fc.string(), { maxLength: 4 }), fc.string(), fc.integer()),
      },
      { requiredKeys: [] },
    );
    let delivered = 0;
    await fc.assert(
      fc.asyncProperty(record, async (value) => {
        const expected = await interpreted.apply(value, bindings);
        if (expected.ok) delivered++;
        expect(await mixed.apply(value, bindings)).toStrictEqual(expected);
        expect(await mixed.keyOf(value)).toStrictEqual(await interpreted.keyOf(value));
      }),
      { numRuns: 400 },
    );
    expect(delivered).toBeGreaterThan(0);
  });

  it('rejects apply() without a firstMappedAt binding', async () => {
    await expect(mixed.apply({ a: { id: 1 } }, {} as typeof bindings)).rejects.toMatchObject({
      code: 'FERRY_ERR_INTERNAL',
    });
  });
});

describe('the deleted predicate', () => {
  it('marks a record deleted only when the predicate is true, and a mapping without one never', async () => {
    const file = join(dir, 'deleted.mapping.yaml');
    await writeFile(
      file,
      [
        'key: id',
        'deleted: $exists(deleted_at) and deleted_at != null',
        'output:',
        '  fields:',
        '    id: id',
      ].join('\n'),
    );
    for (const mapping of [await loadMapping(file), await loadMapping(file, { interpretOnly: true })]) {
      expect(mapping.deletedExpr).toBe('$exists(deleted_at) and deleted_at != null');
      expect(await mapping.isDeleted?.({ id: 1, deleted_at: '2026-01-01T00:00:00Z' })).toBe(true);
      expect(await mapping.isDeleted?.({ id: 1, deleted_at: null })).toBe(false);
      expect(await mapping.isDeleted?.({ id: 1 })).toBe(false);
      expect(await mapping.isDeleted?.([1, 2])).toBe(false);
    }
    expect(mixed.isDeleted).toBeUndefined();
  });

  it('refuses a predicate that does not compile, naming its line', async () => {
    const file = join(dir, 'bad-deleted.mapping.yaml');
    await writeFile(
      file,
      ['key: id', 'deleted: deleted_at !=', 'output:', '  fields:', '    id: id'].join('\n'),
    );
    await expect(loadMapping(file)).rejects.toThrow(/:2: deleted: the JSONata expression does not compile/);
  });
});
