import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FerryError } from '../core/errors.ts';
import { clearSecretsForTests, registerSecret } from '../core/secret-registry.ts';
import { createLogger } from './logger.ts';

const SECRET = 'sk_live_9fQ2xTq7Lm3Z';

function capture(isTTY?: boolean) {
  const chunks: string[] = [];
  const destination = {
    write: (chunk: string) => {
      chunks.push(chunk);
      return true;
    },
    ...(isTTY === undefined ? {} : { isTTY }),
  };
  return { destination, text: () => chunks.join(''), lines: () => chunks.join('').trim().split('\n') };
}

function occurrences(haystack: string, needle: string): number {
  return haystack.split(needle).length - 1;
}

describe('createLogger', () => {
  beforeEach(() => {
    clearSecretsForTests();
    registerSecret(SECRET);
  });
  afterEach(() => clearSecretsForTests());

  it('writes JSON lines carrying the run id and the fields callers add', () => {
    const out = capture();
    const logger = createLogger({
      destination: out.destination,
      format: 'json',
      base: { runId: 'run-1', integration: 'c2o' },
    });
    logger.child({ recordKey: 'cust-1', endpoint: 'destination', attempt: 2 }).info('delivered');
    const line = JSON.parse(out.lines()[0] ?? '');
    expect(line).toMatchObject({
      level: 'info',
      runId: 'run-1',
      integration: 'c2o',
      recordKey: 'cust-1',
      endpoint: 'destination',
      attempt: 2,
      msg: 'delivered',
    });
  });

  it('never writes a registered secret, wherever it hides', () => {
    const out = capture();
    const logger = createLogger({ destination: out.destination, format: 'json', level: 'trace' });
    logger.info(`using key ${SECRET} for the source`);
    logger.info({ detail: `quoted "${SECRET}" with\nnewline` }, 'escaped');
    const error = new Error(`request failed with ${SECRET}`);
    logger.error({ err: error }, 'failure');
    logger.error(
      new FerryError('FERRY_ERR_HTTP_TRANSIENT', `503 from https://x.test?k=${SECRET}`, {
        details: { url: `https://api.test/customers?api_key=${SECRET}&page=2` },
      }),
    );
    logger.warn(
      { config: { source: { auth: { value: SECRET, nested: { deeper: { still: SECRET } } } } } },
      'nested',
    );
    logger.info({ url: `https://api.test/customers?api_key=unregistered-key-123&page=2` }, 'query');
    logger.info({ msgUrl: 'https://api.test/x?access_token=abcdef123456' }, 'query in another field');
    logger.info(
      { headers: { Authorization: `Bearer ${SECRET}`, 'X-API-Key': 'unregistered-header-key' } },
      'headers',
    );
    logger.info({ req: { headers: { authorization: 'Bearer unregistered.jwt.value' } } }, 'deep header');
    logger.info({ a: { b: { c: { d: { Authorization: 'Basic dXNlcjpwYXNzd29yZA==' } } } } }, 'very deep');
    logger.info(
      { a: { b: { c: { client_secret: 'unregistered-client-secret', Cookie: 'sid=abc123' } } } },
      'deep keys',
    );
    logger.info({ token: { access_token: 'unregistered-access-token' } }, 'token objects');

    const text = out.text();
    expect(out.lines()).toHaveLength(12);
    expect(occurrences(text, SECRET)).toBe(0);
    for (const leak of [
      'unregistered-key-123',
      'abcdef123456',
      'unregistered-header-key',
      'unregistered.jwt.value',
      'dXNlcjpwYXNzd29yZA==',
      'unregistered-client-secret',
      'sid=abc123',
      'unregistered-access-token',
    ]) {
      expect(text, leak).not.toContain(leak);
    }
    expect(text).toContain('[REDACTED]');
    expect(text).toContain('page=2');
  });

  it('keeps an error code, kind, details and message while redacting them', () => {
    const out = capture();
    const logger = createLogger({ destination: out.destination, format: 'json' });
    const error = new FerryError('FERRY_ERR_RECORD_REJECTED', `destination refused cust-7 (key ${SECRET})`, {
      details: { status: 422, field: 'email' },
    });
    logger.error({ err: error }, 'record failed');
    const line = JSON.parse(out.lines()[0] ?? '');
    expect(line.err).toMatchObject({
      code: 'FERRY_ERR_RECORD_REJECTED',
      kind: 'record',
      details: { status: 422, field: 'email' },
      message: 'destination refused cust-7 (key [REDACTED])',
    });
    // An expected failure carries no stack (no source paths for a refusing peer or bad input).
    expect(line.err.stack).toBeUndefined();
  });

  it('keeps the stack of an internal error (a bug), redacted', () => {
    const out = capture();
    const logger = createLogger({ destination: out.destination, format: 'json' });
    logger.error({ err: new FerryError('FERRY_ERR_INTERNAL', `broken invariant near ${SECRET}`) }, 'bug');
    const line = JSON.parse(out.lines()[0] ?? '');
    expect(line.err.stack).toContain('[REDACTED]');
    expect(line.err.stack).not.toContain(SECRET);
    expect(line.err.stack).toMatch(/\n\s+at /);
  });

  it('masks emails and phone numbers when asked, and leaves them alone otherwise', () => {
    const fields = {
      customer: { email: 'john.doe@example.com', phone: '+1 (555) 123-4567', mobile: '5551234567' },
      note: 'call 555-123-4567 or mail jane@shop.example.org',
      at: '2024-11-24T08:04:00.000Z',
      recordKey: 'cust-0012345',
    };
    const masked = capture();
    createLogger({ destination: masked.destination, format: 'json', maskPersonalData: true }).info(
      fields,
      'pii',
    );
    const line = JSON.parse(masked.lines()[0] ?? '');
    expect(line.customer).toEqual({ email: 'j***@example.com', phone: '***-4567', mobile: '***-4567' });
    expect(line.note).toBe('call ***-4567 or mail j***@shop.example.org');
    expect(line.at).toBe('2024-11-24T08:04:00.000Z');
    expect(line.recordKey).toBe('cust-0012345');
    expect(typeof line.time).toBe('string');

    const plain = capture();
    createLogger({ destination: plain.destination, format: 'json' }).info(fields, 'pii');
    expect(plain.text()).toContain('john.doe@example.com');
  });

  it('prints readable lines in pretty format, still redacted, and colourless off a terminal', () => {
    const out = capture(false);
    const logger = createLogger({ destination: out.destination, format: 'pretty', base: { runId: 'run-9' } });
    logger.warn({ recordKey: 'cust-3' }, `retrying with ${SECRET}`);
    const text = out.text();
    expect(text).toContain('WARN');
    expect(text).toContain('retrying with [REDACTED]');
    expect(text).toContain('run-9');
    expect(text).not.toContain('\u001b[');
    expect(() => JSON.parse(text)).toThrow();
  });

  it('chooses pretty output for a terminal and JSON otherwise when format is auto', () => {
    const tty = capture(true);
    createLogger({ destination: tty.destination }).info('hello');
    expect(tty.text().startsWith('{')).toBe(false);
    const pipe = capture(false);
    createLogger({ destination: pipe.destination }).info('hello');
    expect(JSON.parse(pipe.text()).msg).toBe('hello');
  });

  it('drops lines below the level', () => {
    const out = capture();
    const logger = createLogger({ destination: out.destination, format: 'json', level: 'warn' });
    logger.info('quiet');
    logger.warn('loud');
    expect(out.lines()).toHaveLength(1);
  });
});
