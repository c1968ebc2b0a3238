import type { Dispatcher } from 'undici';
import { FerryError } from '../core/errors.ts';
import { createApiKeyAuth } from './api-key-auth.ts';
import { createBasicAuth } from './basic-auth.ts';
import { createBearerAuth } from './bearer-auth.ts';
import { createJwtBearerAuth } from './jwt-bearer-auth.ts';
import { createNoAuth } from './no-auth.ts';
import {
  type ClientAuthMethod,
  createOAuthClientCredentials,
  type TokenFetch,
} from './oauth-client-credentials.ts';
import type { RefreshableAuthStrategy, TokenRefreshReason } from './refreshable-auth-strategy.ts';
import type { SharedTokens } from './shared-tokens.ts';

/** The `auth:` block of a connector after config parsing (camelCase, durations in ms, secrets resolved). */
export type AuthConfig =
  | { readonly type: 'none' }
  | {
      readonly type: 'api_key';
      readonly in?: 'header' | 'query';
      readonly name?: string;
      readonly value: string;
    }
  | { readonly type: 'bearer'; readonly token: string }
  | { readonly type: 'basic'; readonly username: string; readonly password: string }
  | {
      readonly type: 'oauth2_client_credentials';
      readonly tokenUrl: string;
      readonly clientId: string;
      readonly clientSecret?: string;
      readonly scope?: string;
      readonly audience?: string;
      /** @default 'client_secret_basic' */
      readonly clientAuth?: ClientAuthMethod;
      /** PKCS#8 PEM for private_key_jwt. */
      readonly privateKey?: string;
      readonly privateKeyAlg?: string;
      readonly refreshSkewMs?: number;
    }
  | {
      readonly type: 'jwt_bearer';
      readonly privateKey: string;
      readonly issuer: string;
      readonly subject?: string;
      readonly audience: string;
      readonly alg?: string;
      readonly ttlMs?: number;
    };

/** What the caller knows that the auth block does not. */
export interface AuthContext {
  /** Origins credentials may go to: the connector's own URL origin (and lookup URL origin). */
  allowedOrigins: Iterable<string>;
  /** options.dangerously_allow_insecure_http, for a plain-http token URL off loopback. */
  allowInsecureHttp?: boolean;
  /** Shared undici dispatcher (keep-alive, custom CA) for token requests. */
  dispatcher?: Dispatcher;
  /** Replaces the token request's network call (tests). */
  fetch?: TokenFetch;
  /** Milliseconds since the epoch. @default Date.now */
  clock?: () => number;
  /** Told about each token renewal. */
  onRefresh?: (reason: TokenRefreshReason) => void;
  /** Token caches shared by the runs of a long-lived process (ferry serve): one token per lifetime. */
  sharedTokens?: SharedTokens;
}

/** Builds the auth strategy a connector's `auth:` block describes. */
export function createAuthStrategy(config: AuthConfig, context: AuthContext): RefreshableAuthStrategy {
  const { allowedOrigins } = context;
  const extras = {
    ...(context.clock ? { clock: context.clock } : {}),
    ...(context.onRefresh ? { onRefresh: context.onRefresh } : {}),
    ...(context.sharedTokens ? { sharedTokens: context.sharedTokens } : {}),
  };
  switch (config.type) {
    case 'none':
      return createNoAuth(allowedOrigins);
    case 'api_key':
      return createApiKeyAuth({
        value: config.value,
        allowedOrigins,
        ...(config.in ? { in: config.in } : {}),
        ...(config.name ? { name: config.name } : {}),
      });
    case 'bearer':
      return createBearerAuth({ token: config.token, allowedOrigins });
    case 'basic':
      return createBasicAuth({ username: config.username, password: config.password, allowedOrigins });
    case 'oauth2_client_credentials':
      return createOAuthClientCredentials({
        tokenUrl: config.tokenUrl,
        clientId: config.clientId,
        clientAuth: config.clientAuth ?? 'client_secret_basic',
        allowedOrigins,
        ...(config.clientSecret ? { clientSecret: config.clientSecret } : {}),
        ...(config.scope ? { scope: config.scope } : {}),
        ...(config.audience ? { audience: config.audience } : {}),
        ...(config.privateKey ? { privateKeyPem: config.privateKey } : {}),
        ...(config.privateKeyAlg ? { privateKeyAlg: config.privateKeyAlg } : {}),
        ...(config.refreshSkewMs === undefined ? {} : { refreshSkewMs: config.refreshSkewMs }),
        ...(context.allowInsecureHttp === undefined ? {} : { allowInsecureHttp: context.allowInsecureHttp }),
        ...(context.dispatcher ? { dispatcher: context.dispatcher } : {}),
        ...(context.fetch ? { fetch: context.fetch } : {}),
        ...extras,
      });
    case 'jwt_bearer':
      return createJwtBearerAuth({
        privateKeyPem: config.privateKey,
        issuer: config.issuer,
        audience: config.audience,
        allowedOrigins,
        ...(config.subject ? { subject: config.subject } : {}),
        ...(config.alg ? { alg: config.alg } : {}),
        ...(config.ttlMs === undefined ? {} : { ttlMs: config.ttlMs }),
        ...extras,
      });
    default: {
      const unknown: { type?: unknown } = config;
      throw new FerryError(
        'FERRY_ERR_CONFIG_INVALID',
        `auth: type "${String(unknown.type)}" is not supported`,
      );
    }
  }
}
