// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${...} is the config reference syntax under test, not a template
import { afterEach, describe, expect, it } from 'vitest';
import { clearSecretsForTests } from '../core/secret-registry.ts';
import { rejection, restSides } from './config-test-helpers.ts';
import { parseIntegrationConfig } from './parse-integration-config.ts';

afterEach(() => clearSecretsForTests());

const yaml = (pageSize: string, insecure: string) => `version: 1
name: demo
source:
  type: rest
  url: https://customers.example.com/api/customers
  pagination:
    type: page_number
    page_size: ${pageSize}
mapping: ./demo.mapping.yaml
destination:
  type: rest
  url: https://orders.example.com/api/orders
options:
  dangerously_allow_insecure_http: ${insecure}
`;

const parse = (text: string, env: Record<string, string>) =>
  parseIntegrationConfig(text, { file: 'demo.yaml', baseDir: '/srv', env });

describe('numbers and booleans from variables', () => {
  it('coerces interpolated numeric and boolean strings where the schema wants them', async () => {
    const config = await parse(yaml('${PAGE_SIZE}', '${INSECURE:-false}'), { PAGE_SIZE: ' 250 ' });
    expect(restSides(config).source.pagination).toMatchObject({ type: 'page_number', pageSize: 250 });
    expect(config.options.dangerouslyAllowInsecureHttp).toBe(false);
  });

  it('names the variable, what it gave and what was expected when it is not a number', async () => {
    const error = await rejection(parse(yaml('${PAGE_SIZE}', 'false'), { PAGE_SIZE: 'lots' }));
    expect(error.code).toBe('FERRY_ERR_CONFIG_INVALID');
    expect(error.message).toContain(
      'demo.yaml:8:16 source.pagination.page_size: PAGE_SIZE gives "lots" (written as ${PAGE_SIZE}); expected a number',
    );
    expect(error.message.match(/page_size/g)).toHaveLength(1);
  });

  it('names the variable when a boolean is neither true nor false', async () => {
    const error = await rejection(parse(yaml('10', '${INSECURE}'), { INSECURE: 'yes' }));
    expect(error.message).toContain('INSECURE gives "yes" (written as ${INSECURE}); expected true or false');
  });

  it('leaves a number written as a quoted literal to the schema', async () => {
    const error = await rejection(parse(yaml('"10"', 'false'), {}));
    expect(error.message).toMatch(/page_size: .*number/);
    expect(error.message).not.toContain('gives');
  });
});
