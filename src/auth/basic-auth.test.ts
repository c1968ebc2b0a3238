import { describe, expect, it } from 'vitest';
import type { HttpRequest } from '../core/http-types.ts';
import { REDACTED, redactSecrets } from '../core/secret-registry.ts';
import { createBasicAuth } from './basic-auth.ts';

const API = 'https://erp.example.com';
const post: HttpRequest = { method: 'POST', url: `${API}/erp/OrderService`, headers: {}, endpoint: 'erp' };

describe('createBasicAuth', () => {
  it('sends user and password as RFC 7617 Basic to allowed origins only, both forms redacted', async () => {
    const auth = createBasicAuth({ username: 'ferry', password: 'pä55:word', allowedOrigins: [API] });
    const header = (await auth.authorize(post)).headers.authorization;
    expect(header).toBe(`Basic ${Buffer.from('ferry:pä55:word', 'utf8').toString('base64')}`);
    const other = await auth.authorize({ ...post, url: 'https://other.example.com/' });
    expect(other.headers.authorization).toBeUndefined();
    expect(await auth.refresh()).toBe(false);
    expect(redactSecrets(`sent ${header}`)).toBe(`sent Basic ${REDACTED}`);
    expect(redactSecrets('pä55:word')).toBe(REDACTED);
  });

  it('refuses a username with a colon and empty credentials', () => {
    expect(() => createBasicAuth({ username: 'a:b', password: 'x', allowedOrigins: [API] })).toThrow(/":"/);
    expect(() => createBasicAuth({ username: 'a', password: '', allowedOrigins: [API] })).toThrow(/empty/);
  });
});
