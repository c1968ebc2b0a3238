import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  clearSecretsForTests,
  REDACTED,
  redactSecrets,
  redactValue,
  registerSecret,
} from './secret-registry.ts';

describe('secret registry', () => {
  afterEach(() => clearSecretsForTests());

  it('masks a registered secret wherever it appears in a text', () => {
    registerSecret('s3cr3t-value-123');
    expect(redactSecrets('token s3cr3t-value-123 and again s3cr3t-value-123')).toBe(
      `token ${REDACTED} and again ${REDACTED}`,
    );
  });

  it('masks the longer of two overlapping secrets whole', () => {
    registerSecret('abcd1234');
    registerSecret('abcd1234-extended');
    expect(redactSecrets('x abcd1234-extended y')).toBe(`x ${REDACTED} y`);
  });

  it('masks secret query parameters, Authorization values and URL passwords it was never told about', () => {
    expect(redactSecrets('GET https://h/x?page=2&api_key=zzz999&access_token=t0k3n')).toBe(
      `GET https://h/x?page=2&api_key=${REDACTED}&access_token=${REDACTED}`,
    );
    expect(redactSecrets('Authorization: Bearer eyJhbGciOi.abc.def')).toBe(
      `Authorization: Bearer ${REDACTED}`,
    );
    expect(redactSecrets('https://user:hunter22@db.example.com/x')).toBe(
      `https://${REDACTED}@db.example.com/x`,
    );
  });

  it('redacts every string of a nested value and leaves other values alone', () => {
    registerSecret('classified');
    expect(redactValue({ a: ['classified', 3], b: { c: 'x classified' }, d: null })).toEqual({
      a: [REDACTED, 3],
      b: { c: `x ${REDACTED}` },
      d: null,
    });
  });

  it('keeps a "__proto__" key of a record as data, redacted, without touching the copy\'s prototype', () => {
    registerSecret('hunter2-secret');
    const record = JSON.parse('{"id":"C-1","__proto__":{"note":"pw hunter2-secret"}}') as object;
    const copy = redactValue(record);
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype);
    expect(Object.keys(copy)).toEqual(['id', '__proto__']);
    expect(JSON.stringify(copy)).toBe('{"id":"C-1","__proto__":{"note":"pw [REDACTED]"}}');
  });

  it('masks exactly what applying every pattern to every text would, whatever the text', () => {
    const secrets = ['s3cr3t-value-123', 'tok3n-abcdef', 'tok3n-abcdef-longer'];
    for (const secret of secrets) registerSecret(secret);
    // The patterns applied unconditionally, as redactSecrets did before it first ruled them out cheaply.
    const reference = (text: string): string =>
      text
        .replace(/s3cr3t-value-123|tok3n-abcdef-longer|tok3n-abcdef/g, REDACTED)
        .replace(
          /([?&;](?:api[_-]?key|apikey|key|token|access_token|refresh_token|id_token|client_secret|secret|password|sig|signature)=)[^&#\s"']+/gi,
          `$1${REDACTED}`,
        )
        .replace(/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{6,}/g, `$1 ${REDACTED}`)
        .replace(/(\b[a-z][a-z0-9+.-]*:\/\/)[^/\s:@]+:[^/\s@]+@/gi, `$1${REDACTED}@`);
    const piece = fc.constantFrom(
      ...secrets,
      'tok3n-abc',
      '?api_key=',
      '&TOKEN=',
      ';password=',
      '=',
      'Bearer ',
      'Basic\t',
      'bearer ',
      'abcdefgh',
      'https://',
      'u:p@',
      '@',
      ':',
      ' ',
      '/',
    );
    const text = fc
      .array(fc.oneof(piece, fc.string({ maxLength: 6 })), { maxLength: 12 })
      .map((parts) => parts.join(''));
    fc.assert(
      fc.property(text, (value) => {
        expect(redactSecrets(value)).toBe(reference(value));
      }),
      { numRuns: 3000 },
    );
  });
});

describe('issued credentials in the secret registry', () => {
  afterEach(() => {
    clearSecretsForTests();
    vi.useRealTimers();
  });

  it('forgets an issued token once its time is up, at the next registration, and keeps masking it until then', () => {
    vi.useFakeTimers({ now: 0, toFake: ['Date'] });
    registerSecret('config-secret-value');
    registerSecret('access-token-one', { forgetAfterMs: 1000 });
    expect(redactSecrets('access-token-one')).toBe(REDACTED);
    vi.setSystemTime(1001);
    expect(redactSecrets('access-token-one')).toBe(REDACTED);
    registerSecret('access-token-two', { forgetAfterMs: 1000 });
    expect(redactSecrets('access-token-one')).toBe('access-token-one');
    expect(redactSecrets('access-token-two config-secret-value')).toBe(`${REDACTED} ${REDACTED}`);
  });
});
