import { afterEach, describe, expect, it } from 'vitest';
import { FerryError } from '../core/errors.ts';
import { clearSecretsForTests } from '../core/secret-registry.ts';
import { defineIntegration, envRef, fileRef } from '../integration/define-integration.ts';
import { resolveIntegration } from '../integration/resolve-integration.ts';
import { withCredentialHint } from './credential-hint.ts';

afterEach(() => clearSecretsForTests());

const config = () =>
  resolveIntegration(
    defineIntegration({
      version: 1,
      name: 'flow',
      source: {
        type: 'rest',
        url: 'https://c.example.com/customers',
        auth: { type: 'api_key', value: fileRef('/run/secrets/source-key') },
      },
      mapping: './m.yaml',
      destination: {
        type: 'rest',
        url: 'https://o.example.com/orders',
        auth: {
          type: 'oauth2_client_credentials',
          token_url: 'https://o.example.com/token',
          client_id: 'ferry-client',
          client_secret: envRef('ORDERS_SECRET'),
        },
      },
    }),
    {
      file: 'flow.ts',
      baseDir: '/app',
      env: { ORDERS_SECRET: 'orders-secret-1' },
      readFile: async () => 'source-key-1',
    },
  );

describe('withCredentialHint', () => {
  it('names the variables and the keys written in the file for a refused token request', async () => {
    const refused = new FerryError('FERRY_ERR_AUTH_TOKEN', 'requesting an access token: HTTP 401', {
      details: { tokenUrl: 'https://o.example.com/token' },
    });
    expect(withCredentialHint(refused, await config()).message).toBe(
      'requesting an access token: HTTP 401; check destination.auth.client_id / ORDERS_SECRET (destination.auth in flow.ts)',
    );
  });

  it('names a file reference for a source that answers 401', async () => {
    const refused = new FerryError('FERRY_ERR_HTTP_UNAUTHORIZED', 'fetching page 1: 401', {
      details: { endpoint: 'source' },
    });
    const hinted = withCredentialHint(refused, await config());
    expect(hinted.message).toContain('; check the file /run/secrets/source-key (source.auth in flow.ts)');
    expect(hinted.code).toBe('FERRY_ERR_HTTP_UNAUTHORIZED');
  });

  it('leaves other errors alone', async () => {
    const other = new FerryError('FERRY_ERR_HTTP_TRANSIENT', 'fetching page 1: 503');
    expect(withCredentialHint(other, await config())).toBe(other);
  });
});
