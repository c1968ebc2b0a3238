import { describe, expect, it } from 'vitest';
import type { HttpRequest } from '../core/http-types.ts';
import { createOAuthClientCredentials, type TokenFetch } from './oauth-client-credentials.ts';
import { createSharedTokens } from './shared-tokens.ts';

const API = 'https://shop.example.com';
const request: HttpRequest = { method: 'GET', url: `${API}/orders`, headers: {}, endpoint: 'destination' };

function tokenEndpoint() {
  let issued = 0;
  const fetch: TokenFetch = async () => {
    issued++;
    return new Response(
      JSON.stringify({ access_token: `at-${issued}-abcdefgh`, token_type: 'Bearer', expires_in: 3600 }),
      {
        status: 200,
        headers: { 'content-type': 'application/json' },
      },
    );
  };
  return { fetch, issued: () => issued };
}

function oauth(
  fetch: TokenFetch,
  sharedTokens: ReturnType<typeof createSharedTokens>,
  clientSecret = 'cs-shared-secret-123',
) {
  return createOAuthClientCredentials({
    tokenUrl: 'https://auth.example.com/token',
    clientId: 'client',
    clientSecret,
    clientAuth: 'client_secret_basic',
    allowedOrigins: [API],
    fetch,
    sharedTokens,
  });
}

describe('tokens shared by the runs of one process', () => {
  it('gives a later run the token an earlier one was issued, while it is good', async () => {
    const endpoint = tokenEndpoint();
    const shared = createSharedTokens();
    const first = oauth(endpoint.fetch, shared);
    const sent = await first.authorize(request);
    await first.close?.();
    const second = oauth(endpoint.fetch, shared);
    expect((await second.authorize(request)).headers.authorization).toBe(sent.headers.authorization);
    expect(endpoint.issued()).toBe(1);
  });

  it('keeps the credentials of another secret apart', async () => {
    const endpoint = tokenEndpoint();
    const shared = createSharedTokens();
    await oauth(endpoint.fetch, shared).authorize(request);
    await oauth(endpoint.fetch, shared, 'another-secret-456').authorize(request);
    expect(endpoint.issued()).toBe(2);
  });
});
