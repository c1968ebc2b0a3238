import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { diagnoseMapping } from './diagnose-mapping.ts';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ferry-diagnose-'));
  await writeFile(
    join(dir, 'in.schema.json'),
    JSON.stringify({
      type: 'object',
      additionalProperties: false,
      properties: { id: { type: 'string' }, email: { type: 'string' } },
    }),
  );
  await writeFile(
    join(dir, 'open.schema.json'),
    JSON.stringify({
      type: 'object',
      properties: { customer_id: { type: 'string' }, note: { type: 'string' } },
    }),
  );
  await writeFile(
    join(dir, 'out.schema.json'),
    JSON.stringify({
      type: 'object',
      additionalProperties: false,
      required: ['orderId', 'email', 'total'],
      properties: { orderId: { type: 'string' }, email: { type: 'string' }, total: { type: 'number' } },
    }),
  );
});

afterAll(() => rm(dir, { recursive: true, force: true }));

async function diagnose(text: string) {
  const file = join(dir, `m${Math.random().toString(36).slice(2)}.mapping.yaml`);
  await writeFile(file, text);
  return diagnoseMapping(file);
}

describe('diagnoseMapping', () => {
  it('lists every bad expression, unknown function, unknown field and missing output field at once', async () => {
    const result = await diagnose(`key: id
input:
  schema: ./in.schema.json
output:
  schema: ./out.schema.json
  fields:
    orderId: '"ORD-" & ('
    email: $lowercse(email)
    emial: emial
`);
    expect(result.mapping).toBeNull();
    const lines = result.errors.map((e) => `${e.line}:${e.column} ${e.path} ${e.code} ${e.message}`);
    expect(lines).toEqual([
      expect.stringMatching(
        /^7:14 output\.fields\.orderId FERRY_ERR_MAPPING_INVALID the JSONata expression does not compile/,
      ),
      expect.stringMatching(
        /^8:12 output\.fields\.email .*calls \$lowercse\(\).*did you mean \$lowercase\(\)/,
      ),
      expect.stringMatching(/^9:12 output\.fields\.emial .*reads "emial".*did you mean "email"/),
      expect.stringMatching(/^9:12 output\.fields\.emial .*has no field "emial" here/),
      expect.stringMatching(/output\.fields .*requires "total" but the mapping has no expression for it/),
    ]);
  });

  it('makes a key that reads an undescribed field an error even where the schema is open', async () => {
    const result = await diagnose(`key: customerId
input:
  schema: ./open.schema.json
output:
  fields:
    orderId: customer_id
    remark: nte
`);
    expect(result.errors.map((e) => e.path)).toEqual(['key']);
    expect(result.errors[0]?.message).toMatch(/reads "customerId".*did you mean "customer_id"/);
    // Elsewhere an open schema's undescribed field stays a warning: the record may still carry it.
    expect(result.warnings.map((w) => w.path)).toEqual(['output.fields.remark']);
  });

  it('reports an unreadable schema and still checks the expressions', async () => {
    const result = await diagnose(`key: id
input:
  schema: ./missing.schema.json
output:
  fields:
    orderId: $nope(id)
`);
    expect(result.errors.map((e) => e.path)).toEqual(['input.schema', 'output.fields.orderId']);
    expect(result.errors[0]?.message).toContain('cannot read JSON Schema');
  });

  it('compiles a clean mapping and returns it with no problems', async () => {
    const result = await diagnose(`key: id
input:
  schema: ./in.schema.json
output:
  schema: ./out.schema.json
  fields:
    orderId: '"ORD-" & id'
    email: $lowercase(email)
    total: 0
`);
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
    expect(result.mapping?.fields.map((f) => f.path)).toEqual(['orderId', 'email', 'total']);
  });

  it('finds nothing wrong with the flagship mapping', async () => {
    const result = await diagnoseMapping('examples/customers-to-orders.mapping.yaml');
    expect([...result.errors, ...result.warnings]).toEqual([]);
    expect(result.mapping).not.toBeNull();
  });

  it('reports a missing mapping file as not found', async () => {
    const result = await diagnoseMapping(join(dir, 'absent.mapping.yaml'));
    expect(result.errors[0]).toMatchObject({ code: 'FERRY_ERR_CONFIG_NOT_FOUND', line: null });
  });
});
