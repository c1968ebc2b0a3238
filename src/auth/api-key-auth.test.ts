import { describe, expect, it } from 'vitest';
import type { HttpRequest } from '../core/http-types.ts';
import { REDACTED, redactSecrets } from '../core/secret-registry.ts';
import { createApiKeyAuth } from './api-key-auth.ts';

const API = 'https://crm.example.com';
const get: HttpRequest = {
  method: 'GET',
  url: `${API}/api/v1/customers?page=1`,
  headers: {},
  endpoint: 'customers',
};

describe('createApiKeyAuth', () => {
  it('puts the key in the X-API-Key header by default, replacing one in another letter case', async () => {
    const auth = createApiKeyAuth({ value: 'key-one-1234', allowedOrigins: [API] });
    const out = await auth.authorize({
      ...get,
      headers: { 'X-Api-Key': 'stale', accept: 'application/json' },
    });
    expect(out.headers).toEqual({ 'x-api-key': 'key-one-1234', accept: 'application/json' });
    expect(await auth.refresh()).toBe(false);
  });

  it('puts the key in a named query parameter', async () => {
    const auth = createApiKeyAuth({
      in: 'query',
      name: 'apikey',
      value: 'key-two-5678',
      allowedOrigins: [API],
    });
    const out = await auth.authorize(get);
    expect(new URL(out.url).searchParams.get('apikey')).toBe('key-two-5678');
    expect(new URL(out.url).searchParams.get('page')).toBe('1');
  });

  it('matches origins with or without the default port', async () => {
    const auth = createApiKeyAuth({
      value: 'key-three-9012',
      allowedOrigins: ['https://CRM.example.com:443/'],
    });
    expect((await auth.authorize(get)).headers['x-api-key']).toBe('key-three-9012');
    const otherPort = await auth.authorize({ ...get, url: 'https://crm.example.com:8443/api' });
    expect(otherPort.headers['x-api-key']).toBeUndefined();
  });

  it('registers the key for redaction', () => {
    createApiKeyAuth({ value: 'key-four-3456', allowedOrigins: [API] });
    expect(redactSecrets('sent key-four-3456')).toBe(`sent ${REDACTED}`);
  });

  it('refuses an empty key', () => {
    expect(() => createApiKeyAuth({ value: '', allowedOrigins: [API] })).toThrow(
      expect.objectContaining({ code: 'FERRY_ERR_CONFIG_INVALID' }),
    );
  });
});
