import { describe, expect, it } from 'vitest';
import type { HttpRequest } from '../core/http-types.ts';
import { REDACTED, redactSecrets } from '../core/secret-registry.ts';
import { createBearerAuth } from './bearer-auth.ts';

const API = 'https://crm.example.com';
const get: HttpRequest = {
  method: 'GET',
  url: `${API}/api/v1/customers`,
  headers: {},
  endpoint: 'customers',
};

describe('createBearerAuth', () => {
  it('sends the static token to allowed origins only and cannot refresh', async () => {
    const auth = createBearerAuth({ token: 'static-token-abcd', allowedOrigins: [API] });
    expect((await auth.authorize(get)).headers.authorization).toBe('Bearer static-token-abcd');
    const other = await auth.authorize({ ...get, url: 'https://other.example.com/' });
    expect(other.headers.authorization).toBeUndefined();
    expect(await auth.refresh()).toBe(false);
    expect(redactSecrets('static-token-abcd')).toBe(REDACTED);
  });
});
