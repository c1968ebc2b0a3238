import { createRemoteJWKSet, jwtVerify } from 'jose';
import { OAuth2Server } from 'oauth2-mock-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpRequest } from '../core/http-types.ts';
import { createOAuthClientCredentials } from './oauth-client-credentials.ts';

let server: OAuth2Server;
let issuerUrl: string;

beforeAll(async () => {
  server = new OAuth2Server();
  await server.issuer.keys.generate('RS256');
  await server.start(0, '127.0.0.1');
  const address = server.address();
  issuerUrl = `http://127.0.0.1:${address.port}`;
  server.issuer.url = issuerUrl;
});
afterAll(() => server.stop());

describe('createOAuthClientCredentials against oauth2-mock-server', () => {
  it.each(['client_secret_basic', 'client_secret_post'] as const)(
    'gets a verifiable access token with %s and applies it',
    async (clientAuth) => {
      const api = 'https://orders.example.com';
      const auth = createOAuthClientCredentials({
        tokenUrl: `${issuerUrl}/token`,
        clientId: 'ferry-mock-client',
        clientSecret: 'mock-client-secret-1',
        scope: 'orders:write',
        clientAuth,
        allowedOrigins: [api],
      });
      const request: HttpRequest = { method: 'POST', url: `${api}/orders`, headers: {}, endpoint: 'orders' };
      const token = (await auth.authorize(request)).headers.authorization?.replace(/^Bearer /, '') ?? '';
      const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(`${issuerUrl}/jwks`)), {
        issuer: issuerUrl,
      });
      expect(payload.scope).toBe('orders:write');
    },
  );
});
