import { z } from 'zod';
import { duration, httpUrl, optionalSecret, optionalText, secret } from './field-types.ts';

const apiKeyAuthSchema = z
  .strictObject({
    type: z.literal('api_key'),
    in: z.enum(['header', 'query']).default('header').describe('Where the key goes.'),
    name: z.string().min(1).default('X-API-Key').describe('Header or query parameter name.'),
    value: optionalSecret().describe(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the text shows the config's reference syntax
      'The API key. Empty (as `${VAR:-}` gives when VAR is unset) sends no key: for a source that needs none.',
    ),
  })
  .describe('A static API key in a header or query parameter.');

const bearerAuthSchema = z
  .strictObject({
    type: z.literal('bearer'),
    token: secret().describe('The token, sent as `Authorization: Bearer <token>`.'),
  })
  .describe('A static bearer token.');

const basicAuthSchema = z
  .strictObject({
    type: z.literal('basic'),
    username: z.string().min(1).describe('The username (no ":", as RFC 7617 requires).'),
    password: secret().describe('The password, by reference; never logged, sent only to allowed origins.'),
  })
  .describe('HTTP Basic authentication (`Authorization: Basic ...`); use it over https.');

const oauth2ClientCredentialsSchema = z
  .strictObject({
    type: z.literal('oauth2_client_credentials'),
    token_url: httpUrl().describe('The token endpoint.'),
    client_id: z.string().min(1).describe('The client id.'),
    client_secret: optionalSecret().describe(
      'The client secret; required unless client_auth is private_key_jwt.',
    ),
    scope: optionalText().describe('Space-separated scopes to request; empty means none.'),
    audience: optionalText().describe('The `audience` parameter some providers require; empty means none.'),
    client_auth: z
      .enum(['client_secret_basic', 'client_secret_post', 'private_key_jwt'])
      .default('client_secret_basic')
      .describe('How the client authenticates to the token endpoint.'),
    private_key: optionalSecret().describe('PEM private key for private_key_jwt, by reference.'),
    private_key_alg: z
      .enum(['RS256', 'PS256', 'ES256', 'EdDSA'])
      .default('RS256')
      .describe('Signing algorithm of the client assertion.'),
    refresh_skew: duration()
      .prefault('30s')
      .describe('Fetches a new token this long before the current one expires.'),
  })
  .superRefine((auth, ctx) => {
    if (auth.client_auth === 'private_key_jwt') {
      if (!auth.private_key) {
        ctx.addIssue({
          code: 'custom',
          path: ['private_key'],
          message: 'expected a private_key reference because client_auth is private_key_jwt',
        });
      }
    } else if (!auth.client_secret) {
      ctx.addIssue({
        code: 'custom',
        path: ['client_secret'],
        message: `expected a client_secret reference because client_auth is ${auth.client_auth}`,
      });
    }
  })
  .describe('OAuth 2.0 client credentials grant; tokens are cached and refreshed before expiry.');

const jwtBearerAuthSchema = z
  .strictObject({
    type: z.literal('jwt_bearer'),
    private_key: secret().describe('PEM private key that signs the JWT, by reference.'),
    alg: z.enum(['RS256', 'PS256', 'ES256', 'EdDSA']).default('RS256').describe('Signing algorithm.'),
    issuer: z.string().min(1).describe('The `iss` claim.'),
    subject: optionalText().describe('The `sub` claim; empty means none.'),
    audience: z.string().min(1).describe('The `aud` claim.'),
    ttl: duration()
      .prefault('5m')
      .describe('Lifetime of each signed JWT; a new one is signed before expiry.'),
  })
  .describe('A self-signed JWT sent as a bearer token.');

const noAuthSchema = z.strictObject({ type: z.literal('none') }).describe('No credentials.');

/** The `auth` block of a source or destination: one of the strategies, chosen by `type`. */
export const authSchema = z
  .discriminatedUnion('type', [
    apiKeyAuthSchema,
    bearerAuthSchema,
    basicAuthSchema,
    oauth2ClientCredentialsSchema,
    jwtBearerAuthSchema,
    noAuthSchema,
  ])
  .prefault({ type: 'none' })
  .describe('How requests are authenticated.');

/** Auth settings as code sees them; secrets are already resolved (and registered for redaction). */
export type AuthConfig =
  | {
      readonly type: 'api_key';
      readonly in: 'header' | 'query';
      readonly name: string;
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
      readonly clientAuth: 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt';
      readonly privateKey?: string;
      readonly privateKeyAlg: 'RS256' | 'PS256' | 'ES256' | 'EdDSA';
      readonly refreshSkewMs: number;
    }
  | {
      readonly type: 'jwt_bearer';
      readonly privateKey: string;
      readonly alg: 'RS256' | 'PS256' | 'ES256' | 'EdDSA';
      readonly issuer: string;
      readonly subject?: string;
      readonly audience: string;
      readonly ttlMs: number;
    }
  | { readonly type: 'none' };

/** Converts a parsed `auth` block to its camelCase form, leaving unset optionals out. */
export function toAuthConfig(parsed: z.output<typeof authSchema>): AuthConfig {
  switch (parsed.type) {
    case 'api_key':
      // The file opted in by writing a default of nothing: no key is sent (and a refusal says which is empty).
      if (parsed.value === undefined) return { type: 'none' };
      return { type: 'api_key', in: parsed.in, name: parsed.name, value: parsed.value };
    case 'bearer':
      return { type: 'bearer', token: parsed.token };
    case 'basic':
      return { type: 'basic', username: parsed.username, password: parsed.password };
    case 'oauth2_client_credentials':
      return {
        type: 'oauth2_client_credentials',
        tokenUrl: parsed.token_url,
        clientId: parsed.client_id,
        ...(parsed.client_secret === undefined ? {} : { clientSecret: parsed.client_secret }),
        ...(parsed.scope === undefined ? {} : { scope: parsed.scope }),
        ...(parsed.audience === undefined ? {} : { audience: parsed.audience }),
        clientAuth: parsed.client_auth,
        ...(parsed.private_key === undefined ? {} : { privateKey: parsed.private_key }),
        privateKeyAlg: parsed.private_key_alg,
        refreshSkewMs: parsed.refresh_skew,
      };
    case 'jwt_bearer':
      return {
        type: 'jwt_bearer',
        privateKey: parsed.private_key,
        alg: parsed.alg,
        issuer: parsed.issuer,
        ...(parsed.subject === undefined ? {} : { subject: parsed.subject }),
        audience: parsed.audience,
        ttlMs: parsed.ttl,
      };
    case 'none':
      return { type: 'none' };
  }
}
