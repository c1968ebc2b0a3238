import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasErrorCode } from '../core/errors.ts';
import { loadMapping } from './load-mapping.ts';

let dir: string;
const bindings = { firstMappedAt: '2024-05-01T00:00:00Z' };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-mapping-'));
  await writeFile(
    join(dir, 'out.schema.json'),
    JSON.stringify({
      type: 'object',
      additionalProperties: false,
      required: ['id'],
      properties: { id: { type: 'string' }, total: { type: 'number' }, nested: { type: 'object' } },
    }),
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

let counter = 0;
async function write(text: string): Promise<string> {
  counter += 1;
  const file = join(dir, `m${counter}.mapping.yaml`);
  await writeFile(file, text);
  return file;
}

async function loadError(
  text: string,
): Promise<{ code: string; message: string; details: Record<string, unknown> }> {
  const file = await write(text);
  try {
    await loadMapping(file);
  } catch (error) {
    if (!hasErrorCode(error, 'FERRY_ERR_MAPPING_INVALID')) throw error;
    expect(error.message).toContain(file);
    return { code: error.code, message: error.message, details: error.details };
  }
  throw new Error('expected the mapping to be refused');
}

describe('loadMapping refuses a broken mapping file, naming file, line and field', () => {
  it('reports a JSONata syntax error in a nested field with its line and path', async () => {
    const error = await loadError(
      [
        'key: id',
        'output:',
        '  fields:',
        '    id: $string(id)',
        '    nested:',
        '      inner: \'"a" & (\'',
        '',
      ].join('\n'),
    );
    expect(error.details).toMatchObject({ line: 6, field: 'output.fields.nested.inner' });
    expect(error.message).toMatch(
      /:6: output\.fields\.nested\.inner: the JSONata expression does not compile/,
    );
  });

  it('reports a broken key expression on its line', async () => {
    const error = await loadError(
      ['description: x', 'key: "customer_id["', 'output:', '  fields:', '    id: id'].join('\n'),
    );
    expect(error.details).toMatchObject({ line: 2, field: 'key' });
  });

  it('reports a broken check expression with its index', async () => {
    const text = [
      'key: id',
      'input:',
      '  checks:',
      '    - expr: "a ="',
      '      fields: [a]',
      '      code: a_set',
      '      message: a must be set',
      'output:',
      '  fields:',
      '    id: id',
    ];
    const error = await loadError(text.join('\n'));
    expect(error.details).toMatchObject({ line: 4, field: 'input.checks[0]' });
  });

  it('reports an unknown key in the file', async () => {
    const error = await loadError(['key: id', 'outptu:', '  fields: {}'].join('\n'));
    expect(error.details).toMatchObject({ line: 2, field: 'outptu' });
    expect(error.message).toContain('unknown key');
  });

  it('reports YAML that does not parse, with its line', async () => {
    const error = await loadError(
      ['key: id', 'output:', '  fields:', '    id: [unclosed', '    x: y'].join('\n'),
    );
    expect(error.message).toContain('not valid YAML');
    expect(error.details.line).toBeGreaterThanOrEqual(4);
  });

  it('reads compare: false on a leaf and refuses a compare that is not a boolean, on its line', async () => {
    const file = await write(
      [
        'key: id',
        'output:',
        '  fields:',
        '    id: $string(id)',
        '    at:',
        '      expr: $firstMappedAt',
        '      compare: false',
      ].join('\n'),
    );
    const mapping = await loadMapping(file);
    expect(mapping.fields.map((f) => [f.path, f.compare])).toEqual([
      ['id', true],
      ['at', false],
    ]);
    const error = await loadError(
      [
        'key: id',
        'output:',
        '  fields:',
        '    at:',
        '      expr: $firstMappedAt',
        '      compare: "no"',
      ].join('\n'),
    );
    expect(error.details).toMatchObject({ line: 6, field: 'output.fields.at.compare' });
    expect(error.message).toContain('must be true or false');
  });

  it('reports a missing key', async () => {
    const error = await loadError(['output:', '  fields:', '    id: id'].join('\n'));
    expect(error.details).toMatchObject({ field: 'key' });
  });

  it('refuses __proto__ as an output field name', async () => {
    const error = await loadError(
      ['key: id', 'output:', '  fields:', '    id: id', '    __proto__: id'].join('\n'),
    );
    expect(error.details).toMatchObject({ line: 5, field: 'output.fields.__proto__' });
  });

  it('reports a field the destination schema does not have', async () => {
    const text = [
      'key: id',
      'output:',
      '  schema: ./out.schema.json',
      '  fields:',
      '    id: id',
      '    totl: 1',
    ];
    const error = await loadError(text.join('\n'));
    expect(error.details).toMatchObject({ line: 6, field: 'output.fields.totl' });
    expect(error.message).toContain('has no field "totl"');
  });

  it('reports a required destination field the mapping leaves out', async () => {
    const error = await loadError(
      ['key: id', 'output:', '  schema: ./out.schema.json', '  fields:', '    total: 1'].join('\n'),
    );
    expect(error.message).toContain('requires "id"');
  });

  it('reports a schema file that cannot be read, on the line that names it', async () => {
    const error = await loadError(
      ['key: id', 'input:', '  schema: ./nope.json', 'output:', '  fields:', '    id: id'].join('\n'),
    );
    expect(error.details).toMatchObject({ line: 3, field: 'input.schema' });
  });

  it('reports a check code that is not snake_case', async () => {
    const text = [
      'key: id',
      'input:',
      '  checks:',
      '    - expr: "true"',
      '      fields: [a]',
      '      code: Bad Code',
      '      message: m',
      'output:',
      '  fields:',
      '    id: id',
    ];
    const error = await loadError(text.join('\n'));
    expect(error.details).toMatchObject({ line: 6, field: 'input.checks[0].code' });
  });

  it('says the mapping file is missing with FERRY_ERR_CONFIG_NOT_FOUND', async () => {
    await expect(loadMapping(join(dir, 'absent.yaml'))).rejects.toMatchObject({
      code: 'FERRY_ERR_CONFIG_NOT_FOUND',
    });
  });
});

describe('apply() turns expression failures into reasons', () => {
  it('stops runaway recursion at the depth limit with mapping_error, naming the field', async () => {
    const file = await write(
      [
        'key: id',
        'timeout: 50ms',
        'output:',
        '  fields:',
        '    id: $string(id)',
        '    total: "( $f := function($n) { $n < 0 ? 0 : $f($n + 1) - 1 }; $f(0) )"',
      ].join('\n'),
    );
    const mapping = await loadMapping(file);
    const result = await mapping.apply({ id: 1 }, bindings);
    expect(result).toEqual({
      ok: false,
      key: '1',
      stage: 'mapping',
      reasons: [
        { field: 'total', code: 'mapping_error', message: expect.stringContaining('recursed too deeply') },
      ],
    });
  });

  it('stops a loop that does not recurse at the time limit with mapping_timeout', async () => {
    const file = await write(
      [
        'key: id',
        'timeout: 50ms',
        'output:',
        '  fields:',
        '    id: $string(id)',
        '    total: "$count($map([1..99999], function($v) { $count($map([1..99999], function($w) { $w })) }))"',
      ].join('\n'),
    );
    const result = await (await loadMapping(file)).apply({ id: 1 }, bindings);
    expect(result).toMatchObject({
      ok: false,
      stage: 'mapping',
      reasons: [{ field: 'total', code: 'mapping_timeout' }],
    });
  });

  it('reports a runtime error with mapping_error and the field whose expression failed', async () => {
    const file = await write(
      [
        'key: id',
        'output:',
        '  fields:',
        '    id: $string(id)',
        '    nested:',
        '      n: $number(text) + 1',
      ].join('\n'),
    );
    const result = await (await loadMapping(file)).apply({ id: 'a', text: 'not a number' }, bindings);
    expect(result).toMatchObject({
      ok: false,
      key: 'a',
      stage: 'mapping',
      reasons: [{ field: 'nested.n', code: 'mapping_error' }],
    });
  });

  it('reports a mapped value that is not JSON, such as a function', async () => {
    const file = await write(
      ['key: id', 'output:', '  fields:', '    id: $string(id)', '    total: function($x) { $x }'].join('\n'),
    );
    const result = await (await loadMapping(file)).apply({ id: 'a' }, bindings);
    expect(result).toMatchObject({
      ok: false,
      stage: 'mapping',
      reasons: [{ field: 'total', code: 'mapping_error' }],
    });
  });

  it('reports output schema violations with stage output and the destination path', async () => {
    const file = await write(
      ['key: id', 'output:', '  schema: ./out.schema.json', '  fields:', '    id: id', '    total: t'].join(
        '\n',
      ),
    );
    const result = await (await loadMapping(file)).apply({ id: 'a', t: 'many' }, bindings);
    expect(result).toEqual({
      ok: false,
      key: 'a',
      stage: 'output',
      reasons: [{ field: 'total', code: 'wrong_type', message: 'must be a number' }],
    });
  });

  it('accepts a key written as {expr, field} and names that field when the key is missing', async () => {
    const file = await write(
      [
        'key: { expr: "meta.ids[0]", field: meta.ids }',
        'output:',
        '  fields:',
        '    id: $string(meta.ids[0])',
      ].join('\n'),
    );
    const mapping = await loadMapping(file);
    expect(await mapping.keyOf({ meta: { ids: [5, 6] } })).toEqual({ ok: true, key: '5' });
    expect(await mapping.keyOf({ meta: {} })).toMatchObject({
      ok: false,
      reason: { field: 'meta.ids', code: 'key_missing' },
    });
  });

  it('refuses a key that is an object', async () => {
    const file = await write(['key: id', 'output:', '  fields:', '    id: $string(id)'].join('\n'));
    expect(await (await loadMapping(file)).keyOf({ id: { a: 1 } })).toMatchObject({
      ok: false,
      reason: { code: 'key_invalid' },
    });
  });
});
