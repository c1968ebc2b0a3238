import { describe, expect, it } from 'vitest';
import { FerryError } from '../core/errors.ts';
import type { HttpResponse } from '../core/http-types.ts';
import { actionOf, classify } from './classify.ts';

const response = (status: number, headers: Record<string, string> = {}): { response: HttpResponse } => ({
  response: { status, headers, body: Buffer.alloc(0), url: 'https://api.example.com/orders' },
});
const now = Date.parse('2026-11-24T08:00:00Z');

describe('classify', () => {
  it.each([
    [200, 'success'],
    [201, 'success'],
    [204, 'success'],
    [408, 'retry'],
    [500, 'retry'],
    [502, 'retry'],
    [503, 'retry'],
    [504, 'retry'],
    [429, 'rate_limited'],
    [401, 'refresh_auth'],
    [400, 'reject'],
    [422, 'reject'],
    [409, 'conflict'],
    [404, 'fail'],
    [403, 'fail'],
    [405, 'fail'],
    [301, 'fail'],
    [501, 'fail'],
  ])('maps status %i to %s by default', (status, type) => {
    expect(classify(response(status)).type).toBe(type);
  });

  it('turns a 503 with Retry-After into rate_limited with the wait', () => {
    expect(classify(response(503, { 'retry-after': '7' }), [], { now })).toEqual({
      type: 'rate_limited',
      reason: 'HTTP 503',
      waitMs: 7000,
    });
  });

  it('keeps a 503 with a garbage Retry-After a plain retry', () => {
    expect(classify(response(503, { 'retry-after': 'later' })).type).toBe('retry');
  });

  it('gives a 429 the Retry-After wait, or the quota reset when nothing remains', () => {
    expect(
      classify(response(429, { 'retry-after': 'Tue, 24 Nov 2026 08:00:02 GMT' }), [], { now }),
    ).toMatchObject({
      waitMs: 2000,
    });
    expect(
      classify(response(429, { 'ratelimit-remaining': '0', 'ratelimit-reset': '3' }), [], { now }),
    ).toMatchObject({ type: 'rate_limited', waitMs: 3000 });
    expect(classify(response(429))).toEqual({ type: 'rate_limited', reason: 'HTTP 429' });
  });

  it('retries transient errors and timeouts, fails the rest', () => {
    const reset = new FerryError('FERRY_ERR_HTTP_TRANSIENT', 'ECONNRESET', { details: { sent: true } });
    const timeout = new FerryError('FERRY_ERR_HTTP_TIMEOUT', 'headers timeout');
    expect(classify({ error: reset }).type).toBe('retry');
    expect(classify({ error: timeout }).type).toBe('retry');
    expect(classify({ error: new FerryError('FERRY_ERR_HTTP_RESPONSE_TOO_LARGE', 'big') }).type).toBe('fail');
    expect(classify({ error: new FerryError('FERRY_ERR_HTTP_CROSS_ORIGIN', 'x') }).type).toBe('fail');
    expect(classify({ error: new Error('bug') }).type).toBe('fail');
  });

  it('lets connector rules win over the defaults, first match first', () => {
    const rules = [
      { status: 409, action: 'success' },
      { status: '4xx', action: 'ignore' },
      { status: [400, 422], action: 'fail' },
    ] as const;
    expect(classify(response(409), rules).type).toBe('success');
    expect(classify(response(422), rules).type).toBe('ignore');
    expect(classify(response(404), [{ status: [404, 410], action: 'ignore' }]).type).toBe('ignore');
    expect(classify(response(500), rules).type).toBe('retry');
  });

  it('matches a rule on the body text too, so one 404 ends a read and another stays a failure', () => {
    const withBody = (status: number, body: string) => ({
      response: { status, headers: {}, body: Buffer.from(body), url: 'https://api.example.com/c?page=9' },
    });
    const rules = [{ status: 404, bodyContains: 'Invalid page', action: 'end_of_data' } as const];
    expect(classify(withBody(404, '{"detail":"Invalid page."}'), rules)).toEqual({
      type: 'end_of_data',
      reason: 'HTTP 404',
    });
    expect(classify(withBody(404, '{"detail":"Not found."}'), rules).type).toBe('fail');
  });

  it('carries the wait when a rule makes a status rate_limited', () => {
    expect(
      classify(response(403, { 'retry-after': '4' }), [{ status: 403, action: 'rate_limited' }], { now }),
    ).toEqual({ type: 'rate_limited', reason: 'HTTP 403', waitMs: 4000 });
  });
});

describe("a protocol's reading of the body", () => {
  const fault = (status: number, body: string): { response: HttpResponse } => ({
    response: { status, headers: {}, body: Buffer.from(body), url: 'https://erp.example.com/OrderService' },
  });
  const soapFaults = (r: HttpResponse) =>
    r.body.includes('SERVICE_BUSY')
      ? ({ type: 'retry', reason: 'SERVICE_BUSY' } as const)
      : r.body.includes('VALIDATION_FAILED')
        ? ({ type: 'reject', reason: 'VALIDATION_FAILED' } as const)
        : undefined;

  it('decides before the status defaults: a 500 carrying a validation fault is a refusal, not a retry', () => {
    expect(
      classify(fault(500, '<Fault>VALIDATION_FAILED</Fault>'), [], { classifyBody: soapFaults }),
    ).toEqual({
      type: 'reject',
      reason: 'VALIDATION_FAILED',
    });
    expect(classify(fault(500, '<Fault>SERVICE_BUSY</Fault>'), [], { classifyBody: soapFaults }).type).toBe(
      'retry',
    );
  });

  it('leaves what it does not recognise to the defaults, and yields to the user rules', () => {
    expect(classify(fault(500, 'oops'), [], { classifyBody: soapFaults }).type).toBe('retry');
    const rules = [{ status: 500, bodyContains: 'VALIDATION', action: 'fail' as const }];
    expect(classify(fault(500, 'VALIDATION_FAILED'), rules, { classifyBody: soapFaults }).type).toBe('fail');
  });

  it('adds the wait a rate-limited answer asks for when the reading does not say', () => {
    const busy = {
      response: { ...fault(503, 'busy').response, headers: { 'retry-after': '3' } },
    };
    const reading = () => ({ type: 'rate_limited', reason: 'throttled' }) as const;
    expect(classify(busy, [], { classifyBody: reading, now })).toEqual({
      type: 'rate_limited',
      reason: 'throttled',
      waitMs: 3000,
    });
  });
});

describe('actionOf', () => {
  it('takes the decision the classify layer attached instead of judging the response again', () => {
    const judged = {
      response: { ...response(500).response, action: { type: 'reject', reason: 'fault' } as const },
    };
    expect(actionOf(judged)).toEqual({ type: 'reject', reason: 'fault' });
    expect(actionOf(response(500)).type).toBe('retry');
  });
});
