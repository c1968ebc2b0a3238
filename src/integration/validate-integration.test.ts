// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${...} is the config reference syntax under test, not a template
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { tempDirs } from '../../test/support/temp-dirs.ts';
import { clearSecretsForTests } from '../core/secret-registry.ts';
import { validateIntegration } from './validate-integration.ts';

const dirs = tempDirs('ferry-validate-');
afterAll(() => dirs.removeAll());
afterEach(() => clearSecretsForTests());

const flagshipEnv = {
  SOURCE_URL: 'https://crm.example.com/api/v1/customers',
  SOURCE_API_KEY: 'src-key-5d1e77',
  DEST_URL: 'https://shop.example.com/api/v2/orders',
  DEST_TOKEN_URL: 'https://shop.example.com/oauth/token',
  DEST_CLIENT_ID: 'ferry',
  DEST_CLIENT_SECRET: 'dest-secret-0c9a41',
};

/** A copy of the flagship with its mapping and schemas, the config replaced by `config`. */
async function project(config: string, mapping?: string): Promise<string> {
  const dir = await dirs.make();
  await cp('examples', dir, { recursive: true });
  await writeFile(join(dir, 'int.yaml'), config);
  if (mapping !== undefined) await writeFile(join(dir, 'customers-to-orders.mapping.yaml'), mapping);
  return join(dir, 'int.yaml');
}

const broken = `version: 1
name: broken
source:
  type: rest
  url: \${SOURCE_URL}
  auth: { type: api_key, value: literal-key-123456 }
  retries: 3
mapping: ./customers-to-orders.mapping.yaml
destination:
  type: rest
  url: \${NOT_SET_URL}
  auth:
    type: bearer
    token: \${NOT_SET_TOKEN}
  concurrency: many
`;

describe('validateIntegration', () => {
  it('reports missing variables, literal secrets, unknown keys, schema and mapping errors together', async () => {
    const path = await project(
      broken,
      `key: customer_id
input: { schema: ./schemas/customer.schema.json }
output:
  fields:
    orderId: $uppercas(customer_id)
    name: first_nme
`,
    );
    const report = await validateIntegration(path, { env: { SOURCE_URL: flagshipEnv.SOURCE_URL } });
    expect(report.valid).toBe(false);
    const summary = report.errors.map((e) => `${e.line}:${e.column} ${e.path} ${e.code}`);
    expect(summary).toEqual([
      '11:8 destination.url FERRY_ERR_CONFIG_ENV_MISSING',
      '14:12 destination.auth.token FERRY_ERR_CONFIG_ENV_MISSING',
      '6:26 source.auth.value FERRY_ERR_CONFIG_LITERAL_SECRET',
      '7:3 source.retries FERRY_ERR_CONFIG_INVALID',
      '15:3 destination.concurrency FERRY_ERR_CONFIG_INVALID',
      '5:14 output.fields.orderId FERRY_ERR_MAPPING_INVALID',
    ]);
    expect(report.errors.at(-1)?.message).toContain('did you mean $uppercase()?');
    expect(report.errors.every((e) => e.file.endsWith('.yaml'))).toBe(true);
    expect(JSON.stringify(report)).not.toContain('literal-key-123456');
    expect(report.warnings.map((w) => w.message)).toEqual([expect.stringContaining('reads "first_nme"')]);
  });

  it('turns unset variables into notes with allowMissingEnv, so CI can validate without secrets', async () => {
    const report = await validateIntegration('examples/customers-to-orders.yaml', {
      env: {},
      allowMissingEnv: true,
    });
    expect(report.valid).toBe(true);
    expect(report.errors).toEqual([]);
    expect(report.notes.map((n) => n.path)).toContain('destination.auth.client_secret');
    expect(report.notes.every((n) => n.code === 'FERRY_ERR_CONFIG_ENV_MISSING')).toBe(true);
  });

  it('is valid with a summary when everything is set and the mapping is clean', async () => {
    const report = await validateIntegration('examples/customers-to-orders.yaml', { env: flagshipEnv });
    expect(report).toMatchObject({ valid: true, errors: [], warnings: [], notes: [] });
    expect(report.integration).toMatchObject({ name: 'customers-to-orders', fields: 10, checks: 1 });
  });

  it('finds the sync example valid, strictly, with the flagship variables', async () => {
    const report = await validateIntegration('examples/customers-sync.yaml', {
      env: flagshipEnv,
      strict: true,
    });
    expect(report).toMatchObject({ valid: true, errors: [], warnings: [], notes: [] });
    expect(report.integration).toMatchObject({ name: 'customers-sync', fields: 10 });
  });

  it('makes warnings errors under strict', async () => {
    const path = await project(
      await readFile('examples/customers-to-orders.yaml', 'utf8'),
      `key: customer_id
input: { schema: ./schemas/customer.schema.json }
output:
  fields:
    orderId: $string(custmer_id)
`,
    );
    const lenient = await validateIntegration(path, { env: flagshipEnv });
    expect(lenient).toMatchObject({ valid: true, errors: [] });
    expect(lenient.warnings).toHaveLength(1);
    const strict = await validateIntegration(path, { env: flagshipEnv, strict: true });
    expect(strict.valid).toBe(false);
  });

  it('reports YAML syntax errors and a missing file as errors, not exceptions', async () => {
    const path = await project('version: 1\nname: [unclosed\n');
    const syntax = await validateIntegration(path, { env: {} });
    expect(syntax.errors[0]).toMatchObject({ code: 'FERRY_ERR_CONFIG_SYNTAX', line: expect.any(Number) });
    const missing = await validateIntegration(join(path, '..', 'absent.yaml'), { env: {} });
    expect(missing.errors[0]).toMatchObject({ code: 'FERRY_ERR_CONFIG_NOT_FOUND' });
  });

  it('validates an integration written in TypeScript the same way', async () => {
    const report = await validateIntegration('examples/customers-to-orders.ts', { env: flagshipEnv });
    expect(report.valid).toBe(true);
  });
});
