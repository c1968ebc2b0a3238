import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createVerifier, secretProblem, signRequest } from './signature.ts';

afterEach(() => {
  vi.useRealTimers();
});

describe('Standard Webhooks signatures', () => {
  // The specification's published test vector (libraries/javascript/src/webhook.test.ts in
  // github.com/standard-webhooks/standard-webhooks).
  const vector = {
    secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
    id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
    timestamp: 1614265330,
    body: '{"test": 2432232314}',
    signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
  };
  const headers = {
    'webhook-id': vector.id,
    'webhook-timestamp': String(vector.timestamp),
    'webhook-signature': vector.signature,
  };
  const atVectorTime = () => vi.useFakeTimers({ now: vector.timestamp * 1000 + 10_000, toFake: ['Date'] });

  it('signs the published test vector as the specification does', () => {
    const signed = signRequest('standard_webhooks', vector.secret, vector.body, {
      id: vector.id,
      timestampSeconds: vector.timestamp,
    });
    expect(signed['webhook-signature']).toBe(vector.signature);
  });

  it('accepts the published test vector within five minutes of its timestamp', () => {
    atVectorTime();
    const verify = createVerifier('standard_webhooks', [vector.secret]);
    expect(verify(headers, Buffer.from(vector.body))).toEqual({ ok: true });
  });

  it('accepts any of several secrets during a rotation, and any of several signatures', () => {
    atVectorTime();
    const verify = createVerifier('standard_webhooks', ['whsec_c2VjcmV0LW9sZC0xMjM0NTY3OA==', vector.secret]);
    expect(verify(headers, Buffer.from(vector.body))).toEqual({ ok: true });
    const several = { ...headers, 'webhook-signature': `v1,AAAA ${vector.signature} v2,BBBB` };
    expect(verify(several, Buffer.from(vector.body))).toEqual({ ok: true });
  });

  it('refuses a changed body, another secret, a missing header and a stale or future timestamp', () => {
    atVectorTime();
    const verify = createVerifier('standard_webhooks', [vector.secret]);
    expect(verify(headers, Buffer.from('{"test": 2432232315}'))).toEqual({ ok: false, reason: 'mismatch' });
    const other = createVerifier('standard_webhooks', ['whsec_c2VjcmV0LW90aGVyLTEyMzQ1Njc4']);
    expect(other(headers, Buffer.from(vector.body))).toEqual({ ok: false, reason: 'mismatch' });
    const { 'webhook-signature': _, ...unsigned } = headers;
    expect(verify(unsigned, Buffer.from(vector.body))).toEqual({ ok: false, reason: 'missing' });
    expect(verify({ ...headers, 'webhook-timestamp': 'soon' }, Buffer.from(vector.body))).toEqual({
      ok: false,
      reason: 'malformed',
    });
    vi.setSystemTime((vector.timestamp + 5 * 60 + 1) * 1000);
    expect(verify(headers, Buffer.from(vector.body))).toEqual({ ok: false, reason: 'stale' });
    vi.setSystemTime((vector.timestamp - 5 * 60 - 1) * 1000);
    expect(verify(headers, Buffer.from(vector.body))).toEqual({ ok: false, reason: 'stale' });
  });

  it('names a secret that is not whsec_ and base64 without quoting it', () => {
    expect(secretProblem('standard_webhooks', vector.secret)).toBeUndefined();
    expect(secretProblem('standard_webhooks', 'MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw')).toBeUndefined();
    const problem = secretProblem('standard_webhooks', 'whsec_not base64!');
    expect(problem).toContain('whsec_');
    expect(problem).not.toContain('not base64');
    expect(secretProblem('github', 'anything at all')).toBeUndefined();
  });
});

describe('GitHub signatures', () => {
  // GitHub's published test values ("Validating webhook deliveries", docs.github.com).
  const secret = "It's a Secret to Everybody";
  const body = Buffer.from('Hello, World!');
  const signature = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';

  it('accepts the published test values and signs them the same way', () => {
    const verify = createVerifier('github', [secret]);
    expect(verify({ 'x-hub-signature-256': signature }, body)).toEqual({ ok: true });
    expect(signRequest('github', secret, 'Hello, World!', { id: 'd', timestampSeconds: 0 })).toMatchObject({
      'x-hub-signature-256': signature,
    });
  });

  it('accepts any secret of a rotation and refuses a changed body, a wrong form or no header', () => {
    const verify = createVerifier('github', ['the-new-secret', secret]);
    expect(
      verify({ 'x-hub-signature-256': signature.toUpperCase().replace('SHA256', 'sha256') }, body),
    ).toEqual({
      ok: true,
    });
    expect(verify({ 'x-hub-signature-256': signature }, Buffer.from('Hello, World?'))).toEqual({
      ok: false,
      reason: 'mismatch',
    });
    expect(verify({ 'x-hub-signature-256': 'sha1=abc' }, body)).toEqual({ ok: false, reason: 'malformed' });
    expect(verify({}, body)).toEqual({ ok: false, reason: 'missing' });
  });
});

describe('Stripe signatures', () => {
  const secret = 'whsec_stripe_test_secret';
  const body = '{"id":"evt_1","type":"customer.created"}';
  const t = 1_700_000_000;
  // Stripe's documented scheme, computed here independently of the code under test.
  const v1 = createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
  const now = (seconds: number) => () => seconds * 1000;

  it('accepts a v1 signature of t.body within five minutes, whatever else the header carries', () => {
    const verify = createVerifier('stripe', [secret], { now: now(t + 299) });
    expect(verify({ 'stripe-signature': `t=${t},v1=${v1}` }, Buffer.from(body))).toEqual({ ok: true });
    expect(
      verify(
        { 'stripe-signature': `t=${t},v0=${'0'.repeat(64)},v1=${'f'.repeat(64)},v1=${v1}` },
        Buffer.from(body),
      ),
    ).toEqual({ ok: true });
    expect(signRequest('stripe', secret, body, { id: 'evt_1', timestampSeconds: t })).toEqual({
      'stripe-signature': `t=${t},v1=${v1}`,
    });
  });

  it('refuses another body, a stale timestamp, a header without t or v1, and ignores v0', () => {
    const verify = createVerifier('stripe', ['other', secret], { now: now(t) });
    expect(verify({ 'stripe-signature': `t=${t},v1=${v1}` }, Buffer.from(`${body} `))).toEqual({
      ok: false,
      reason: 'mismatch',
    });
    expect(verify({ 'stripe-signature': `t=${t},v0=${v1}` }, Buffer.from(body))).toEqual({
      ok: false,
      reason: 'malformed',
    });
    expect(verify({ 'stripe-signature': `v1=${v1}` }, Buffer.from(body))).toEqual({
      ok: false,
      reason: 'malformed',
    });
    const late = createVerifier('stripe', [secret], { now: now(t + 301) });
    expect(late({ 'stripe-signature': `t=${t},v1=${v1}` }, Buffer.from(body))).toEqual({
      ok: false,
      reason: 'stale',
    });
  });
});
