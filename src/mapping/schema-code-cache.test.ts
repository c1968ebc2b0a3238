import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createSchemaLoader } from './create-schema-validator.ts';
import { createSchemaCodeCache } from './schema-code-cache.ts';

const dirs: string[] = [];
afterAll(() => Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true }))));
const tempDir = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ferry-schema-code-'));
  dirs.push(dir);
  return dir;
};
const at = { line: 3, path: 'output.schema' };

const ORDER = {
  $id: 'https://example.test/order',
  type: 'object',
  required: ['orderId', 'email', 'placedAt'],
  properties: {
    orderId: { type: 'string', minLength: 1, 'x-message': 'an order id is required', 'x-code': 'no_id' },
    email: { type: 'string', format: 'email' },
    placedAt: { type: 'string', format: 'date-time' },
    lines: { type: 'array', items: { $ref: '#/$defs/line' }, minItems: 1 },
  },
  $defs: { line: { type: 'object', required: ['sku'], properties: { sku: { const: 'A' } } } },
};
const BAD_ORDER = { orderId: '', email: 'nobody', placedAt: 'May 1st', lines: [{ sku: 'B' }] };

describe('createSchemaCodeCache', () => {
  it('gives back, in a later run, the code kept for the same texts, and nothing for other texts', async () => {
    const dir = await tempDir();
    const code =
      '"use strict";module.exports = (data) => data === 1;module.exports.default = module.exports;';
    createSchemaCodeCache(dir).store(['{"a":1}', '{"const":1}'], code);
    const later = createSchemaCodeCache(dir);
    const validate = later.load(['{"a":1}', '{"const":1}']);
    expect(validate?.(1)).toBe(true);
    expect(validate?.(2)).toBe(false);
    expect(later.load(['{"const":1}'])).toBeUndefined();
    expect(later.load(['{"a":2}', '{"const":1}'])).toBeUndefined();
  });

  it('compiles again from a file that does not load, or that asks for a module ajv does not name', async () => {
    const dir = await tempDir();
    const cache = createSchemaCodeCache(dir);
    cache.store(['{}'], 'this is not JavaScript');
    expect(cache.load(['{}'])).toBeUndefined();
    cache.store(['{"x":1}'], 'module.exports.default = require("node:child_process").execSync;');
    expect(cache.load(['{"x":1}'])).toBeUndefined();
  });

  it('keeps the newest files once there are more than it keeps', async () => {
    const dir = await tempDir();
    const cache = createSchemaCodeCache(dir, 3);
    const code = '"use strict";module.exports.default = () => true;';
    const aged = new Set<string>();
    for (let i = 1; i <= 5; i++) {
      cache.store([`{"n":${i}}`], code);
      // The file just stored gets the i-th second of 1970: an order the file system's clock cannot blur.
      for (const name of await readdir(dir)) {
        if (aged.has(name)) continue;
        aged.add(name);
        await utimes(join(dir, name), i, i);
      }
    }
    expect(await readdir(dir)).toHaveLength(3);
    expect(cache.load(['{"n":1}'])).toBeUndefined();
    expect(cache.load(['{"n":2}'])).toBeUndefined();
    expect(cache.load(['{"n":5}'])?.({})).toBe(true);
  });

  it('skips a cache it cannot write', async () => {
    const dir = await tempDir();
    // A regular file where the directory should be: no directory can be made under it.
    await writeFile(join(dir, 'file'), '');
    const cache = createSchemaCodeCache(join(dir, 'file', 'code'));
    expect(() => cache.store(['{}'], 'module.exports.default = () => true;')).not.toThrow();
    expect(cache.load(['{}'])).toBeUndefined();
  });
});

describe('createSchemaLoader', () => {
  it('words the same reasons from cached code as from ajv, formats and x-message included', async () => {
    const dir = await tempDir();
    const schemaFile = join(dir, 'order.schema.json');
    await writeFile(schemaFile, JSON.stringify(ORDER));
    const cache = createSchemaCodeCache(join(dir, 'code'));
    const compiled = await createSchemaLoader(cache).load(schemaFile, 'mapping.yaml', at);
    expect(await readdir(join(dir, 'code'))).toHaveLength(1);
    let stored = false;
    const fromCode = await createSchemaLoader({
      load: (texts) => cache.load(texts),
      store: () => {
        stored = true;
      },
    }).load(schemaFile, 'mapping.yaml', at);
    expect(stored).toBe(false);
    const reasons = compiled.validate(BAD_ORDER);
    expect(reasons.map((reason) => reason.field).sort()).toEqual(
      ['email', 'lines[0].sku', 'orderId', 'placedAt'].sort(),
    );
    expect(reasons).toContainEqual(expect.objectContaining({ field: 'orderId', code: 'no_id' }));
    expect(fromCode.validate(BAD_ORDER)).toEqual(reasons);
    const good = {
      orderId: 'ORD-1',
      email: 'a@b.test',
      placedAt: '2024-05-01T12:00:00Z',
      lines: [{ sku: 'A' }],
    };
    expect(fromCode.validate(good)).toEqual([]);
  });

  it('compiles a schema that refers by $id to one loaded from cached code', async () => {
    const dir = await tempDir();
    const orderFile = join(dir, 'order.schema.json');
    const batchFile = join(dir, 'batch.schema.json');
    await writeFile(orderFile, JSON.stringify(ORDER));
    await writeFile(
      batchFile,
      JSON.stringify({ type: 'array', items: { $ref: 'https://example.test/order' } }),
    );
    const cache = createSchemaCodeCache(join(dir, 'code'));
    await createSchemaLoader(cache).load(orderFile, 'mapping.yaml', at);
    const loader = createSchemaLoader(cache);
    await loader.load(orderFile, 'mapping.yaml', at);
    const batch = await loader.load(batchFile, 'mapping.yaml', at);
    expect(batch.validate([BAD_ORDER]).map((reason) => reason.field)).toContain('[0].orderId');
  });
});
