// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${...} is the config reference syntax under test, not a template
import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import {
  integrationJsonSchema,
  integrationSchemaPath,
  renderIntegrationJsonSchema,
} from './integration-json-schema.ts';

const validate = new Ajv2020({ allErrors: true, strict: false }).compile(integrationJsonSchema());
const flagship = readFileSync('examples/customers-to-orders.yaml', 'utf8');

describe('integrationJsonSchema', () => {
  it('matches schema/integration.schema.json (regenerate with `npm run docs`)', () => {
    expect(JSON.parse(readFileSync(integrationSchemaPath, 'utf8'))).toEqual(integrationJsonSchema());
  });

  it('accepts the flagship example, which names it on its first line', () => {
    expect(flagship.split('\n')[0]).toBe('# yaml-language-server: $schema=../schema/integration.schema.json');
    expect(validate(parse(flagship)), JSON.stringify(validate.errors)).toBe(true);
  });

  it('accepts a ${...} reference wherever a number or boolean is expected', () => {
    const config = parse(flagship);
    config.destination.concurrency = '${DEST_CONCURRENCY:-8}';
    config.destination.rate_limit.adaptive = '${ADAPTIVE}';
    config.source.pagination = { type: 'page_number', page_size: '${PAGE_SIZE}' };
    expect(validate(config), JSON.stringify(validate.errors)).toBe(true);
    config.destination.concurrency = 'many';
    expect(validate(config)).toBe(false);
  });

  it('refuses unknown keys and unknown auth types, as ferry does', () => {
    const typo = parse(flagship);
    typo.destination.retry.max_attempt = 3;
    expect(validate(typo)).toBe(false);
    const auth = parse(flagship);
    auth.source.auth = { type: 'apikey', value: '${KEY}' };
    expect(validate(auth)).toBe(false);
  });

  it('keeps ferry-internal metadata out and describes each key', () => {
    const text = renderIntegrationJsonSchema();
    expect(text).not.toContain('ferryKind');
    expect(text).toContain('"description": "A fixed number of records in flight at once."');
  });
});
