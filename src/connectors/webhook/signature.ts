import { createHmac, timingSafeEqual } from 'node:crypto';
import type * as StandardWebhooks from 'standardwebhooks';
import { lazyModule } from '../../core/lazy-module.ts';

/** standardwebhooks, loaded when a signature is first checked, not by every command that loads the registry. */
const webhooksLibrary = lazyModule<typeof StandardWebhooks>('standardwebhooks');

/** The signature schemes a webhook source verifies. */
export const SIGNATURE_SCHEMES = ['standard_webhooks', 'github', 'stripe'] as const;
export type SignatureScheme = (typeof SIGNATURE_SCHEMES)[number];

/** Request headers as node:http gives them, names in lower case. */
export type RequestHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

/**
 * Why a signature was refused, for ferry's own log only: the sender is told 401 and nothing more, so that no
 * answer says whether a secret was close.
 */
export type SignatureRefusal = 'missing' | 'malformed' | 'stale' | 'mismatch';

/** The outcome of checking one request. */
export type Verification = { readonly ok: true } | { readonly ok: false; readonly reason: SignatureRefusal };

/** Checks a request's signature against every current secret; the raw body, as received, is what was signed. */
export type Verifier = (headers: RequestHeaders, body: Buffer) => Verification;

/** How far a signed timestamp may be from now: the 5 minutes both Standard Webhooks and Stripe prescribe. */
export const TOLERANCE_SECONDS = 5 * 60;

/** The first value of a header. */
export function headerValue(headers: RequestHeaders, name: string): string | undefined {
  const value = headers[name];
  return typeof value === 'string' ? value : value?.[0];
}

/**
 * Why a secret cannot be used by the scheme, or undefined when it can; never quotes the secret. A Standard
 * Webhooks secret is `whsec_` and base64 (the prefix is optional).
 */
export function secretProblem(scheme: SignatureScheme, secret: string): string | undefined {
  if (scheme !== 'standard_webhooks') return undefined;
  const body = secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret;
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body) || body.length % 4 !== 0) {
    return 'is not a Standard Webhooks secret (expected whsec_ followed by base64)';
  }
  try {
    new (webhooksLibrary().Webhook)(secret);
    return undefined;
  } catch {
    return 'is not a Standard Webhooks secret (expected whsec_ followed by base64)';
  }
}

/** Builds the verifier of a scheme for a list of secrets (several while one is being rotated). */
export function createVerifier(
  scheme: SignatureScheme,
  secrets: readonly string[],
  options: { readonly now?: () => number } = {},
): Verifier {
  const now = options.now ?? Date.now;
  if (secrets.length === 0) throw new Error('a webhook verifier needs at least one secret');
  switch (scheme) {
    case 'standard_webhooks':
      return standardWebhooks(secrets);
    case 'github':
      return github(secrets);
    case 'stripe':
      return stripe(secrets, now);
  }
}

/**
 * Standard Webhooks (https://www.standardwebhooks.com) through its reference library: `webhook-id`,
 * `webhook-timestamp` and `webhook-signature` (`v1,<base64>`, several separated by spaces while the sender
 * rotates), HMAC-SHA256 over `id.timestamp.body`, constant-time comparison, 5 minutes of tolerance. The
 * library reads the clock through Date.now.
 */
function standardWebhooks(secrets: readonly string[]): Verifier {
  const hooks = secrets.map((secret) => new (webhooksLibrary().Webhook)(secret));
  return (headers, body) => {
    const flat = {
      'webhook-id': headerValue(headers, 'webhook-id') ?? '',
      'webhook-timestamp': headerValue(headers, 'webhook-timestamp') ?? '',
      'webhook-signature': headerValue(headers, 'webhook-signature') ?? '',
    };
    if (Object.values(flat).some((value) => value === '')) return { ok: false, reason: 'missing' };
    if (!/^\d{1,12}$/.test(flat['webhook-timestamp'])) return { ok: false, reason: 'malformed' };
    let refusal: SignatureRefusal = 'mismatch';
    for (const hook of hooks) {
      try {
        hook.verify(body, flat, { jsonParse: false });
        return { ok: true };
      } catch (error) {
        if (!(error instanceof webhooksLibrary().WebhookVerificationError)) throw error;
        if (/timestamp/i.test(error.message)) refusal = 'stale';
      }
    }
    return { ok: false, reason: refusal };
  };
}

/** Compares two hex digests in constant time (their length is public: always 64 characters). */
function sameHex(expected: string, given: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(given.toLowerCase(), 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

function hmacHex(secret: string, ...parts: (string | Buffer)[]): string {
  const mac = createHmac('sha256', secret);
  for (const part of parts) mac.update(part);
  return mac.digest('hex');
}

/**
 * GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>`. GitHub signs no timestamp, so a
 * replayed delivery is recognised only by its `X-GitHub-Delivery` id (deduplicated by the inbox).
 */
function github(secrets: readonly string[]): Verifier {
  return (headers, body) => {
    const header = headerValue(headers, 'x-hub-signature-256');
    if (header === undefined || header === '') return { ok: false, reason: 'missing' };
    const match = /^sha256=([0-9a-fA-F]{64})$/.exec(header.trim());
    if (!match) return { ok: false, reason: 'malformed' };
    const given = match[1]!;
    // Every secret is tried, whichever matches, so the time taken says nothing about which one did.
    let ok = false;
    for (const secret of secrets) ok = sameHex(hmacHex(secret, body), given) || ok;
    return ok ? { ok: true } : { ok: false, reason: 'mismatch' };
  };
}

/**
 * Stripe: `Stripe-Signature: t=<unix seconds>,v1=<hex>[,v1=<hex>...]`, HMAC-SHA256 of `t.body`; `v0`
 * (test-mode legacy) signatures are ignored, as Stripe's own libraries do. 5 minutes of tolerance either way.
 */
function stripe(secrets: readonly string[], now: () => number): Verifier {
  return (headers, body) => {
    const header = headerValue(headers, 'stripe-signature');
    if (header === undefined || header === '') return { ok: false, reason: 'missing' };
    let timestamp: string | undefined;
    const signatures: string[] = [];
    for (const part of header.split(',')) {
      const at = part.indexOf('=');
      if (at < 0) continue;
      const name = part.slice(0, at).trim();
      const value = part.slice(at + 1).trim();
      if (name === 't') timestamp = value;
      else if (name === 'v1') signatures.push(value);
    }
    if (timestamp === undefined || !/^\d{1,12}$/.test(timestamp) || signatures.length === 0) {
      return { ok: false, reason: 'malformed' };
    }
    let ok = false;
    for (const secret of secrets) {
      const expected = hmacHex(secret, `${timestamp}.`, body);
      for (const given of signatures)
        ok = (/^[0-9a-fA-F]{64}$/.test(given) && sameHex(expected, given)) || ok;
    }
    if (!ok) return { ok: false, reason: 'mismatch' };
    const age = Math.floor(now() / 1000) - Number(timestamp);
    return Math.abs(age) > TOLERANCE_SECONDS ? { ok: false, reason: 'stale' } : { ok: true };
  };
}

/** Signs a body the way the scheme's senders do: the headers to send with it (for tests, mocks and demos). */
export function signRequest(
  scheme: SignatureScheme,
  secret: string,
  body: string,
  options: { readonly id: string; readonly timestampSeconds: number },
): Record<string, string> {
  switch (scheme) {
    case 'standard_webhooks':
      return {
        'webhook-id': options.id,
        'webhook-timestamp': String(options.timestampSeconds),
        'webhook-signature': new (webhooksLibrary().Webhook)(secret).sign(
          options.id,
          new Date(options.timestampSeconds * 1000),
          body,
        ),
      };
    case 'github':
      return {
        'x-github-delivery': options.id,
        'x-hub-signature-256': `sha256=${hmacHex(secret, body)}`,
      };
    case 'stripe':
      return {
        'stripe-signature': `t=${options.timestampSeconds},v1=${hmacHex(secret, `${options.timestampSeconds}.`, body)}`,
      };
  }
}
