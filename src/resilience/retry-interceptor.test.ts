import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FerryError } from '../core/errors.ts';
import type { HttpRequest, HttpResponse, Send } from '../core/http-types.ts';
import { retryInterceptor } from './retry-interceptor.ts';

type Step = number | { status: number; headers?: Record<string, string> } | Error;

function scripted(steps: Step[]): { send: Send; calls: HttpRequest[] } {
  const calls: HttpRequest[] = [];
  const send: Send = async (req) => {
    calls.push(req);
    const step = steps[Math.min(calls.length - 1, steps.length - 1)]!;
    if (step instanceof Error) throw step;
    const { status, headers = {} } = typeof step === 'number' ? { status: step } : step;
    return { status, headers, body: Buffer.from(`body ${status}`), url: req.url } satisfies HttpResponse;
  };
  return { send, calls };
}

const reset = (sent: boolean) =>
  new FerryError('FERRY_ERR_HTTP_TRANSIENT', 'network error ECONNRESET', { details: { sent } });
const get: HttpRequest = {
  method: 'GET',
  url: 'https://api.example.com/orders?api_key=abc123xyz',
  headers: {},
  endpoint: 'orders',
};
const post = (headers: Record<string, string> = {}): HttpRequest => ({
  method: 'POST',
  url: 'https://api.example.com/orders',
  headers,
  body: '{}',
  endpoint: 'orders',
});
const fast = { baseDelayMs: 100, maxDelayMs: 1000, random: () => 0.5 };

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(new Date('2026-11-24T08:00:00Z'));
});
afterEach(() => vi.useRealTimers());

describe('retryInterceptor', () => {
  it('retries a 503 and then succeeds, numbering the attempts', async () => {
    const { send, calls } = scripted([503, 200]);
    const retries: unknown[] = [];
    const pending = retryInterceptor({ ...fast, observer: { onRetry: (e) => retries.push(e) } })(send)(get);
    await vi.runAllTimersAsync();
    expect((await pending).status).toBe(200);
    expect(calls.map((c) => c.attempt)).toEqual([1, 2]);
    expect(retries).toEqual([{ endpoint: 'orders', attempt: 1, delayMs: 50, reason: 'HTTP 503' }]);
  });

  it('waits exactly the Retry-After of a 429 before trying again', async () => {
    const { send, calls } = scripted([{ status: 429, headers: { 'retry-after': '3' } }, 201]);
    const pending = retryInterceptor(fast)(send)(get);
    await vi.advanceTimersByTimeAsync(2999);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(calls).toHaveLength(2);
    expect((await pending).status).toBe(201);
  });

  it('waits until an HTTP-date Retry-After, capped by maxRetryAfterMs', async () => {
    const { send, calls } = scripted([
      { status: 503, headers: { 'retry-after': 'Tue, 24 Nov 2026 09:00:00 GMT' } },
      200,
    ]);
    const pending = retryInterceptor({ ...fast, maxRetryAfterMs: 10_000 })(send)(get);
    await vi.advanceTimersByTimeAsync(9_999);
    expect(calls).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect((await pending).status).toBe(200);
  });

  it('does not retry a POST without idempotency key after a reset that may have reached the server', async () => {
    const { send, calls } = scripted([reset(true), 201]);
    await expect(retryInterceptor(fast)(send)(post())).rejects.toMatchObject({
      code: 'FERRY_ERR_HTTP_TRANSIENT',
    });
    expect(calls).toHaveLength(1);
  });

  it('returns a 503 to a POST without idempotency key instead of resending it', async () => {
    const { send, calls } = scripted([503, 201]);
    expect((await retryInterceptor(fast)(send)(post())).status).toBe(503);
    expect(calls).toHaveLength(1);
  });

  it('retries a POST that carries the idempotency key header (any case)', async () => {
    const { send, calls } = scripted([reset(true), 201]);
    const pending = retryInterceptor(fast)(send)(post({ 'Idempotency-Key': 'k1' }));
    await vi.runAllTimersAsync();
    expect((await pending).status).toBe(201);
    expect(calls).toHaveLength(2);
  });

  it('retries a POST whose connection never opened, or that was refused with 429', async () => {
    const first = scripted([reset(false), 201]);
    const a = retryInterceptor(fast)(first.send)(post());
    await vi.runAllTimersAsync();
    expect((await a).status).toBe(201);
    const second = scripted([{ status: 429, headers: { 'retry-after': '1' } }, 201]);
    const b = retryInterceptor(fast)(second.send)(post());
    await vi.runAllTimersAsync();
    expect((await b).status).toBe(201);
  });

  it('asks canRetry before resending an ambiguous POST', async () => {
    const canRetry = vi.fn(async () => true);
    const { send, calls } = scripted([reset(true), 201]);
    const pending = retryInterceptor({ ...fast, canRetry })(send)(post());
    await vi.runAllTimersAsync();
    expect((await pending).status).toBe(201);
    expect(canRetry).toHaveBeenCalledOnce();
    expect(calls).toHaveLength(2);

    const refused = scripted([reset(true), 201]);
    await expect(
      retryInterceptor({ ...fast, canRetry: () => false })(refused.send)(post()),
    ).rejects.toMatchObject({ code: 'FERRY_ERR_HTTP_TRANSIENT' });
    expect(refused.calls).toHaveLength(1);
  });

  it('returns non-retryable statuses unchanged for the caller to classify', async () => {
    for (const status of [400, 401, 404, 409, 422]) {
      const { send, calls } = scripted([status, 200]);
      expect((await retryInterceptor(fast)(send)(get)).status).toBe(status);
      expect(calls).toHaveLength(1);
    }
  });

  it('gives up after maxAttempts with the status, attempts and redacted URL', async () => {
    const { send, calls } = scripted([503]);
    const pending = retryInterceptor({ ...fast, maxAttempts: 3 })(send)(get);
    const assertion = expect(pending).rejects.toMatchObject({
      code: 'FERRY_ERR_RETRIES_EXHAUSTED',
      details: {
        status: 503,
        attempts: 3,
        reason: 'HTTP 503',
        url: 'https://api.example.com/orders?api_key=[REDACTED]',
      },
    });
    await vi.runAllTimersAsync();
    await assertion;
    expect(calls).toHaveLength(3);
    await pending.catch((error: Error) => expect(error.message).not.toContain('abc123xyz'));
  });

  it('gives up when the next wait would pass maxElapsedMs', async () => {
    const { send, calls } = scripted([reset(true)]);
    // delays with random 0.999: 99, then 199 (99 + 199 > 250), so only one retry fits the budget
    const pending = retryInterceptor({
      baseDelayMs: 100,
      random: () => 0.999,
      maxAttempts: 100,
      maxElapsedMs: 250,
    })(send)(get);
    const assertion = expect(pending).rejects.toMatchObject({
      code: 'FERRY_ERR_RETRIES_EXHAUSTED',
      details: { attempts: 2 },
    });
    await vi.runAllTimersAsync();
    await assertion;
    expect(calls).toHaveLength(2);
  });

  it('keeps rate-limited retries on their own budget', async () => {
    const limited = { status: 429, headers: { 'retry-after': '1' } };
    const { send, calls } = scripted([limited, limited, limited, limited, 503, 503, 200]);
    const pending = retryInterceptor({ ...fast, maxAttempts: 3 })(send)(get);
    await vi.runAllTimersAsync();
    expect((await pending).status).toBe(200);
    expect(calls).toHaveLength(7);
  });

  it('gives up after maxRateLimitedRetries', async () => {
    const { send } = scripted([{ status: 429, headers: { 'retry-after': '1' } }]);
    const pending = retryInterceptor({ ...fast, maxRateLimitedRetries: 2 })(send)(get);
    const assertion = expect(pending).rejects.toMatchObject({
      code: 'FERRY_ERR_RETRIES_EXHAUSTED',
      details: { status: 429, attempts: 3 },
    });
    await vi.runAllTimersAsync();
    await assertion;
  });

  it('does not count a breaker pause against maxElapsedMs', async () => {
    let paused = 0;
    const { send } = scripted([503, 503, 200]);
    const slowNext: Send = async (req) => {
      paused += 60_000; // each attempt sat a minute in an open breaker
      await new Promise((resolve) => setTimeout(resolve, 60_000));
      return send(req);
    };
    const pending = retryInterceptor({ ...fast, maxElapsedMs: 1000, pausedMs: () => paused })(slowNext)(get);
    await vi.runAllTimersAsync();
    expect((await pending).status).toBe(200);
  });

  it('stops waiting as soon as the signal aborts', async () => {
    const controller = new AbortController();
    const { send, calls } = scripted([{ status: 429, headers: { 'retry-after': '60' } }, 200]);
    const pending = retryInterceptor(fast)(send)({ ...get, signal: controller.signal });
    const assertion = expect(pending).rejects.toMatchObject({ code: 'FERRY_ERR_ABORTED' });
    await vi.advanceTimersByTimeAsync(1000);
    controller.abort();
    await assertion;
    expect(calls).toHaveLength(1);
  });
});
