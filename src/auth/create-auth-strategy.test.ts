import { describe, expect, it } from 'vitest';
import type { HttpRequest } from '../core/http-types.ts';
import { createAuthStrategy } from './create-auth-strategy.ts';
import { formOf, startTestServer } from './test-servers.ts';

const API = 'https://api.example.com';
const req: HttpRequest = { method: 'GET', url: `${API}/x`, headers: {}, endpoint: 'customers' };

describe('createAuthStrategy', () => {
  it('builds an api_key strategy from the plain config', async () => {
    const auth = createAuthStrategy(
      { type: 'api_key', name: 'X-Key', value: 'factory-key-1' },
      { allowedOrigins: [API] },
    );
    expect((await auth.authorize(req)).headers['x-key']).toBe('factory-key-1');
  });

  it('builds a bearer strategy', async () => {
    const auth = createAuthStrategy({ type: 'bearer', token: 'factory-token-1' }, { allowedOrigins: [API] });
    expect((await auth.authorize(req)).headers.authorization).toBe('Bearer factory-token-1');
  });

  it('builds a none strategy that changes nothing and cannot refresh', async () => {
    const auth = createAuthStrategy({ type: 'none' }, { allowedOrigins: [API] });
    expect(await auth.authorize(req)).toBe(req);
    expect(await auth.refresh()).toBe(false);
  });

  it('builds OAuth client credentials defaulting to client_secret_basic and omitting an empty scope', async () => {
    const server = await startTestServer(() => ({
      status: 200,
      body: { access_token: 'factory-access-1', token_type: 'bearer', expires_in: 60 },
    }));
    try {
      const auth = createAuthStrategy(
        {
          type: 'oauth2_client_credentials',
          tokenUrl: `${server.origin}/oauth/token`,
          clientId: 'c',
          clientSecret: 'factory-secret-1',
          scope: '',
        },
        { allowedOrigins: [API] },
      );
      expect((await auth.authorize(req)).headers.authorization).toBe('Bearer factory-access-1');
      expect(String(server.seen[0]?.headers.authorization)).toMatch(/^Basic /);
      expect(formOf(server.seen[0]?.body ?? '')).toEqual({ grant_type: 'client_credentials' });
    } finally {
      await server.close();
    }
  });

  it('refuses an unknown type with FERRY_ERR_CONFIG_INVALID', () => {
    expect(() => createAuthStrategy({ type: 'digest' } as never, { allowedOrigins: [API] })).toThrow(
      expect.objectContaining({ code: 'FERRY_ERR_CONFIG_INVALID' }),
    );
  });
});
