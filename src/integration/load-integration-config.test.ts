import { resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { clearSecretsForTests } from '../core/secret-registry.ts';
import { rejection, restSides } from './config-test-helpers.ts';
import { loadIntegrationConfig } from './load-integration-config.ts';

const example = resolve(import.meta.dirname, '../../examples/customers-to-orders.yaml');

const fullEnv = {
  SOURCE_URL: 'https://customers.example.com/api/v1/customers',
  SOURCE_API_KEY: 'example-source-key-1',
  DEST_URL: 'https://orders.example.com/api/v2/orders',
  DEST_TOKEN_URL: 'https://auth.example.com/oauth/token',
  DEST_CLIENT_ID: 'ferry',
  DEST_CLIENT_SECRET: 'example-dest-secret-1',
};

afterEach(() => clearSecretsForTests());

describe('loadIntegrationConfig', () => {
  it('parses the flagship example with a full environment', async () => {
    const config = await loadIntegrationConfig(example, { env: fullEnv });
    expect(config.name).toBe('customers-to-orders');
    expect(restSides(config).source.pagination.type).toBe('auto');
    expect(restSides(config).source.auth).toEqual({
      type: 'api_key',
      in: 'header',
      name: 'X-API-Key',
      value: 'example-source-key-1',
    });
    expect(restSides(config).destination.auth).toEqual({
      type: 'oauth2_client_credentials',
      tokenUrl: 'https://auth.example.com/oauth/token',
      clientId: 'ferry',
      clientSecret: 'example-dest-secret-1',
      clientAuth: 'client_secret_basic',
      privateKeyAlg: 'RS256',
      refreshSkewMs: 30_000,
    });
    expect(restSides(config).destination.idempotency.header).toBe('Idempotency-Key');
    expect(restSides(config).destination.lookup).toEqual({
      url: 'https://orders.example.com/api/v2/orders/{orderId}',
      recordsPath: '',
      beforeSend: 'new_ledger',
    });
    expect(restSides(config).destination.responses).toEqual([{ status: 409, action: 'conflict' }]);
    expect(config.mappingPath).toBe(
      resolve(import.meta.dirname, '../../examples/customers-to-orders.mapping.yaml'),
    );
    expect(config.baseDir).toBe(resolve(import.meta.dirname, '../../examples'));
  });

  it('runs the example against loopback mocks over plain http without any opt-out', async () => {
    const config = await loadIntegrationConfig(example, {
      env: {
        ...fullEnv,
        SOURCE_URL: 'http://127.0.0.1:4010/api/v1/customers',
        DEST_URL: 'http://127.0.0.1:4020/api/v2/orders',
        DEST_TOKEN_URL: 'http://localhost:4030/token',
        DEST_SCOPE: 'orders:write',
      },
    });
    expect(restSides(config).destination.auth).toMatchObject({ scope: 'orders:write' });
  });

  it('names every missing variable of the example at once', async () => {
    const error = await rejection(loadIntegrationConfig(example, { env: { DEST_SCOPE: 'x' } }));
    expect(error.code).toBe('FERRY_ERR_CONFIG_ENV_MISSING');
    const firstLine = error.message.split('\n')[0];
    expect(firstLine).toContain(
      '5 environment variables are not set: SOURCE_URL, DEST_URL, DEST_TOKEN_URL, DEST_CLIENT_ID, DEST_CLIENT_SECRET',
    );
    // Both have a default in the file: DEST_SCOPE of no scope, SOURCE_API_KEY of no key.
    expect(error.message).not.toContain('DEST_SCOPE');
    expect(error.message).not.toContain('SOURCE_API_KEY');
  });

  it('reports a missing file as FERRY_ERR_CONFIG_NOT_FOUND', async () => {
    const error = await rejection(loadIntegrationConfig('/nonexistent/ferry.yaml', { env: fullEnv }));
    expect(error.code).toBe('FERRY_ERR_CONFIG_NOT_FOUND');
    expect(error.message).toContain('/nonexistent/ferry.yaml');
  });

  it('reads through an injected readFile', async () => {
    const files: Record<string, string> = {
      '/virtual/a.yaml': `version: 1
name: a
source: { type: rest, url: "http://127.0.0.1:1/c", auth: { type: bearer, token: "\${file:token}" } }
mapping: m.yaml
destination: { type: rest, url: "http://127.0.0.1:2/o" }
`,
      '/virtual/token': 'virtual-token-123\n',
    };
    const readFile = async (path: string) => {
      const text = files[path];
      if (text === undefined) throw Object.assign(new Error('missing'), { code: 'ENOENT' });
      return text;
    };
    const config = await loadIntegrationConfig('/virtual/a.yaml', { env: {}, readFile });
    expect(restSides(config).source.auth).toEqual({ type: 'bearer', token: 'virtual-token-123' });
    expect(restSides(config).destination.auth).toEqual({ type: 'none' });
  });
});
