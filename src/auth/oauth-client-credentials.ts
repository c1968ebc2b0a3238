import * as oauth from 'oauth4webapi';
import type * as Undici from 'undici';
import type { Dispatcher } from 'undici';
import { FerryError } from '../core/errors.ts';
import { registerSecret } from '../core/secret-registry.ts';
import { createCachedBearerStrategy } from './cached-bearer-strategy.ts';
import { isLoopbackUrl, normalizeOrigins } from './origin.ts';
import { registerPrivateKey } from './private-key.ts';
import type { RefreshableAuthStrategy, TokenRefreshReason } from './refreshable-auth-strategy.ts';
import { credentialIdentity, type SharedTokens } from './shared-tokens.ts';
import type { IssuedToken } from './token-cache.ts';
import { readOAuthErrorBody, retryAfterMs, tokenEndpointError } from './token-endpoint-error.ts';

/**
 * undici, loaded when a token is fetched: `ferry validate` builds this strategy but fetches nothing. An
 * import, not require(): the CLI's bundle then gives the undici it already loaded for the run's own
 * requests, where require() loaded the installed package a second time, before a run's first request.
 */
const undici = (): Promise<typeof Undici> => import('undici');

/** How the client proves its identity to the token endpoint. */
export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';

/** What a token request is sent with; the shape oauth4webapi hands its customFetch. */
export interface TokenFetchInit {
  readonly method: string;
  readonly headers: Record<string, string>;
  readonly body: URLSearchParams;
  readonly redirect: 'manual';
  readonly signal?: AbortSignal;
}

/** A fetch for token requests (tests inject one; the default is undici's fetch on `dispatcher`). */
export type TokenFetch = (url: string, init: TokenFetchInit) => Promise<Response>;

/** Options for createOAuthClientCredentials(). */
export interface OAuthClientCredentialsOptions {
  /** The token endpoint; https unless on loopback or allowInsecureHttp. */
  tokenUrl: string;
  clientId: string;
  /** Required for client_secret_basic and client_secret_post. */
  clientSecret?: string;
  /** Space-separated scopes; empty means none sent. */
  scope?: string;
  /** Sent as the `audience` parameter (Auth0 and others); empty means none sent. */
  audience?: string;
  clientAuth: ClientAuthMethod;
  /** PKCS#8 PEM, required for private_key_jwt. */
  privateKeyPem?: string;
  /** JWS algorithm of the private key. @default 'RS256' */
  privateKeyAlg?: string;
  /** `kid` header of the client assertion, when the server has several keys registered. */
  privateKeyId?: string;
  /** `aud` of the client assertion (RFC 7523). @default the token endpoint URL, which most servers accept */
  assertionAudience?: string;
  /** Renew this long before expiry. @default 30000 */
  refreshSkewMs?: number;
  /** Lifetime assumed when the token response has no expires_in. @default 300000 */
  defaultExpiresInMs?: number;
  /** Time limit for one token request. @default 30000 */
  timeoutMs?: number;
  /** Origins the access token is sent to. The token endpoint only ever gets the client credentials. */
  allowedOrigins: Iterable<string>;
  /** Allow a plain-http token URL off loopback (dangerously_allow_insecure_http). @default false */
  allowInsecureHttp?: boolean;
  /** Replaces the network call, for tests. */
  fetch?: TokenFetch;
  /** The undici dispatcher (shared keep-alive Agent, custom CA) for the default fetch. */
  dispatcher?: Dispatcher;
  /** Milliseconds since the epoch. @default Date.now */
  clock?: () => number;
  /** Told about each renewal after the first token. */
  onRefresh?: (reason: TokenRefreshReason) => void;
  /** Token caches shared with later runs of the process (ferry serve). */
  sharedTokens?: SharedTokens;
}

const DEFAULT_EXPIRES_IN_MS = 300_000;

/** Checks the token URL: parsable, https (or http on loopback, or explicitly allowed). */
function parseTokenUrl(tokenUrl: string, allowInsecureHttp: boolean): { url: URL; insecure: boolean } {
  let url: URL;
  try {
    url = new URL(tokenUrl);
  } catch (cause) {
    throw new FerryError('FERRY_ERR_CONFIG_INVALID', `auth: token_url "${tokenUrl}" is not a URL`, { cause });
  }
  if (url.username || url.password) {
    throw new FerryError('FERRY_ERR_CONFIG_INVALID', 'auth: token_url must not carry credentials in the URL');
  }
  if (url.protocol === 'https:') return { url, insecure: false };
  if (url.protocol === 'http:' && (isLoopbackUrl(url) || allowInsecureHttp)) return { url, insecure: true };
  throw new FerryError(
    'FERRY_ERR_CONFIG_INSECURE_URL',
    `auth: token_url ${url.origin} must be https:// (plain http is allowed only on loopback or with dangerously_allow_insecure_http)`,
    { details: { tokenUrl: url.origin } },
  );
}

/** Builds oauth4webapi's client authentication for the configured method, importing the key when needed. */
async function clientAuthFor(options: OAuthClientCredentialsOptions): Promise<oauth.ClientAuth> {
  switch (options.clientAuth) {
    case 'client_secret_basic':
      return oauth.ClientSecretBasic(options.clientSecret ?? '');
    case 'client_secret_post':
      return oauth.ClientSecretPost(options.clientSecret ?? '');
    case 'private_key_jwt': {
      const alg = options.privateKeyAlg ?? 'RS256';
      let key: oauth.CryptoKey;
      try {
        // jose loads only for private_key_jwt: client secrets never need it.
        const { importPKCS8 } = await import('jose');
        key = await importPKCS8(options.privateKeyPem ?? '', alg);
      } catch (error) {
        // The cause is left out: parsers may quote part of their input, and the input is a private key.
        throw new FerryError(
          'FERRY_ERR_CONFIG_INVALID',
          `auth: private_key is not a PKCS#8 PEM key usable with ${alg} (${(error as Error).name})`,
          { details: { alg } },
        );
      }
      const audience = options.assertionAudience ?? options.tokenUrl;
      return oauth.PrivateKeyJwt(
        options.privateKeyId === undefined ? key : { key, kid: options.privateKeyId },
        {
          [oauth.modifyAssertion](_header, payload) {
            payload.aud = audience;
          },
        },
      );
    }
  }
}

/** Refuses a configuration that cannot work before any request is made. */
function checkOptions(options: OAuthClientCredentialsOptions): void {
  if (!options.clientId) throw new FerryError('FERRY_ERR_CONFIG_INVALID', 'auth: client_id is empty');
  if (options.clientAuth === 'private_key_jwt') {
    if (!options.privateKeyPem)
      throw new FerryError('FERRY_ERR_CONFIG_INVALID', 'auth: client_auth private_key_jwt needs private_key');
  } else if (options.clientAuth === 'client_secret_basic' || options.clientAuth === 'client_secret_post') {
    if (!options.clientSecret)
      throw new FerryError(
        'FERRY_ERR_CONFIG_INVALID',
        `auth: client_auth ${options.clientAuth} needs client_secret`,
      );
  } else {
    throw new FerryError(
      'FERRY_ERR_CONFIG_INVALID',
      `auth: client_auth "${String(options.clientAuth)}" is not one of client_secret_basic, client_secret_post, private_key_jwt`,
    );
  }
}

/**
 * Creates the OAuth 2.0 client credentials strategy (RFC 6749 4.4) on oauth4webapi, without discovery.
 * The access token lives in memory only, is renewed ahead of expiry with one request in flight at a time,
 * and is sent only to `allowedOrigins`.
 */
export function createOAuthClientCredentials(
  options: OAuthClientCredentialsOptions,
): RefreshableAuthStrategy {
  checkOptions(options);
  registerSecret(options.clientSecret);
  if (options.privateKeyPem) registerPrivateKey(options.privateKeyPem);
  const { url: tokenUrl, insecure } = parseTokenUrl(options.tokenUrl, options.allowInsecureHttp ?? false);
  const allowedOrigins = normalizeOrigins(options.allowedOrigins);
  const clock = options.clock ?? Date.now;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const defaultExpiresInMs = options.defaultExpiresInMs ?? DEFAULT_EXPIRES_IN_MS;
  const as: oauth.AuthorizationServer = { issuer: tokenUrl.origin, token_endpoint: tokenUrl.href };
  const client: oauth.Client = { client_id: options.clientId };
  const dispatcher = options.dispatcher;
  const send: TokenFetch =
    options.fetch ??
    (async (url, init) =>
      (await undici()).fetch(url, {
        ...init,
        ...(dispatcher ? { dispatcher } : {}),
      }) as unknown as Promise<Response>);
  let clientAuth: Promise<oauth.ClientAuth> | undefined;
  const parameters = new URLSearchParams();
  if (options.scope) parameters.set('scope', options.scope);
  if (options.audience) parameters.set('audience', options.audience);

  async function issue(): Promise<IssuedToken> {
    clientAuth ??= clientAuthFor(options);
    const auth = await clientAuth.catch((error: unknown) => {
      clientAuth = undefined;
      throw error;
    });
    let sent = false;
    let status: number | undefined;
    let retryAfter: number | undefined;
    try {
      const response = await oauth.clientCredentialsGrantRequest(as, client, auth, parameters, {
        signal: () => AbortSignal.timeout(timeoutMs),
        [oauth.allowInsecureRequests]: insecure,
        [oauth.customFetch]: async (url, init) => {
          sent = true;
          const answer = await send(url, init);
          status = answer.status;
          retryAfter = retryAfterMs(answer.headers.get('retry-after'), clock());
          return answer;
        },
      });
      const token = await oauth.processClientCredentialsResponse(as, client, response);
      // Forgotten an hour after it expires: a long-lived process is issued a token every lifetime.
      const expiresIn = typeof token.expires_in === 'number' ? token.expires_in * 1000 : defaultExpiresInMs;
      registerSecret(token.access_token, { forgetAfterMs: expiresIn + 3_600_000 });
      if (token.token_type !== 'bearer') {
        throw new FerryError(
          'FERRY_ERR_AUTH_TOKEN',
          `requesting an access token from ${tokenUrl.href}: token_type "${token.token_type}" is not supported (only bearer)`,
          { details: { tokenUrl: tokenUrl.href, retryable: false } },
        );
      }
      const lifetimeMs = typeof token.expires_in === 'number' ? token.expires_in * 1000 : defaultExpiresInMs;
      return { value: token.access_token, lifetimeMs };
    } catch (error) {
      if (error instanceof FerryError) throw error;
      const body = await readOAuthErrorBody(error);
      throw tokenEndpointError({
        tokenUrl: tokenUrl.href,
        error,
        sent,
        ...(body ? { body } : {}),
        ...(status === undefined ? {} : { status }),
        ...(retryAfter === undefined ? {} : { retryAfterMs: retryAfter }),
      });
    }
  }

  return createCachedBearerStrategy({
    issue,
    allowedOrigins,
    clock,
    refreshSkewMs: options.refreshSkewMs,
    onRefresh: options.onRefresh,
    shared: options.sharedTokens && {
      tokens: options.sharedTokens,
      identity: credentialIdentity(
        {
          kind: 'oauth2_client_credentials',
          tokenUrl: tokenUrl.href,
          clientId: options.clientId,
          clientAuth: options.clientAuth,
          scope: options.scope,
          audience: options.audience,
        },
        [options.clientSecret, options.privateKeyPem],
      ),
    },
  });
}
