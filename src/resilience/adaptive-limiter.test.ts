import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { HttpRequest, HttpResponse, Send } from '../core/http-types.ts';
import { type AdaptiveLimiterOptions, createAdaptiveLimiter } from './adaptive-limiter.ts';
import { rateLimitInterceptor } from './rate-limit-interceptor.ts';

beforeEach(() => {
  vi.useFakeTimers();
  vi.setSystemTime(0);
});
afterEach(() => vi.useRealTimers());

/** A limiter whose observer records every wait it reports, in ms. */
function limiterRecordingWaits(options: Omit<AdaptiveLimiterOptions, 'observer'>) {
  const waits: number[] = [];
  const limiter = createAdaptiveLimiter({
    ...options,
    observer: { onLimiterWait: (e) => waits.push(e.waitMs) },
  });
  return { limiter, waits };
}

/** Starts n acquisitions and counts how many were granted. */
function startMany(limiter: ReturnType<typeof createAdaptiveLimiter>, n: number) {
  let granted = 0;
  const releases: Array<() => void> = [];
  for (let i = 0; i < n; i++)
    void limiter.acquire().then((permit) => {
      granted++;
      releases.push(permit.release);
    });
  return {
    granted: () => granted,
    releaseAll: () => {
      for (const release of releases.splice(0)) release();
    },
  };
}

describe('createAdaptiveLimiter', () => {
  it('lets everything through at once when no rate is configured', async () => {
    const { limiter, waits } = limiterRecordingWaits({
      adaptive: false,
      concurrency: 0,
    });
    const run = startMany(limiter, 50);
    await vi.advanceTimersByTimeAsync(0);
    expect(run.granted()).toBe(50);
    expect(waits.every((w) => w === 0)).toBe(true);
  });

  it('paces a fixed rate evenly', async () => {
    const limiter = createAdaptiveLimiter({ requestsPerSecond: 10, adaptive: false, concurrency: 0 });
    const run = startMany(limiter, 40);
    await vi.advanceTimersByTimeAsync(0);
    expect(run.granted()).toBe(1);
    await vi.advanceTimersByTimeAsync(1000);
    expect(run.granted()).toBe(11);
    await vi.advanceTimersByTimeAsync(1000);
    expect(run.granted()).toBe(21);
  });

  it('allows a small burst after an idle spell', async () => {
    const limiter = createAdaptiveLimiter({
      requestsPerSecond: 500,
      adaptive: false,
      concurrency: 0,
      burstSeconds: 0.02,
    });
    const run = startMany(limiter, 30);
    await vi.advanceTimersByTimeAsync(0);
    expect(run.granted()).toBe(10);
  });

  it('caps requests in flight and hands freed slots on in order', async () => {
    const limiter = createAdaptiveLimiter({ adaptive: false, concurrency: 2 });
    const run = startMany(limiter, 5);
    await vi.advanceTimersByTimeAsync(0);
    expect(run.granted()).toBe(2);
    expect(limiter.state()).toMatchObject({ inFlight: 2, waiting: 3 });
    run.releaseAll();
    await vi.advanceTimersByTimeAsync(0);
    expect(run.granted()).toBe(4);
  });

  it('stops waiting for a slot when the signal aborts, taking none and freeing none', async () => {
    const limiter = createAdaptiveLimiter({ adaptive: false, concurrency: 1 });
    const first = await limiter.acquire();
    const controller = new AbortController();
    const waiting = limiter.acquire(controller.signal);
    expect(limiter.state()).toMatchObject({ inFlight: 1, waiting: 1 });
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'FERRY_ERR_ABORTED' });
    expect(limiter.state()).toMatchObject({ inFlight: 1, waiting: 0 });
    first.release();
    expect(limiter.state().inFlight).toBe(0);
  });

  it('gives its slot back when aborted while waiting for its turn at a fixed rate', async () => {
    const limiter = createAdaptiveLimiter({ requestsPerSecond: 1, adaptive: false, concurrency: 5 });
    const first = await limiter.acquire();
    const controller = new AbortController();
    const paced = limiter.acquire(controller.signal);
    await vi.advanceTimersByTimeAsync(100);
    expect(limiter.state().inFlight).toBe(2);
    controller.abort();
    await expect(paced).rejects.toMatchObject({ code: 'FERRY_ERR_ABORTED' });
    expect(limiter.state().inFlight).toBe(1);
    first.release();
    expect(limiter.state().inFlight).toBe(0);
  });

  it('reports when a paced request was let through and how long it waited', async () => {
    const { limiter, waits } = limiterRecordingWaits({
      requestsPerSecond: 4,
      adaptive: false,
      concurrency: 0,
    });
    const permits = [limiter.acquire(), limiter.acquire(), limiter.acquire()];
    await vi.advanceTimersByTimeAsync(1000);
    expect((await Promise.all(permits)).map((p) => p.sentAt)).toEqual([0, 250, 500]);
    expect(waits).toEqual([0, 250, 500]);
  });

  it('hands out a permit at once only when unpaced, with a slot free and nothing paused', async () => {
    const { limiter, waits } = limiterRecordingWaits({
      adaptive: false,
      concurrency: 2,
    });
    vi.setSystemTime(500);
    const first = limiter.tryAcquire();
    expect(first?.sentAt).toBe(500);
    const second = limiter.tryAcquire();
    expect(limiter.state().inFlight).toBe(2);
    expect(limiter.tryAcquire()).toBeNull();
    const { release } = second!;
    release();
    release();
    expect(limiter.state().inFlight).toBe(1);
    expect(waits).toEqual([0, 0]);
    limiter.onRateLimited(1000);
    expect(limiter.tryAcquire()).toBeNull();
    first!.release();
    expect(createAdaptiveLimiter({ requestsPerSecond: 10, concurrency: 0 }).tryAcquire()).toBeNull();
  });

  it('sends one request alone until the destination first answers, then opens up', async () => {
    const limiter = createAdaptiveLimiter({ concurrency: 8 });
    const run = startMany(limiter, 20);
    await vi.advanceTimersByTimeAsync(0);
    expect(run.granted()).toBe(1);
    limiter.onQuota({ limit: 1000, remaining: 999, resetMs: 1000 });
    await vi.advanceTimersByTimeAsync(0);
    expect(run.granted()).toBe(8);
  });

  it('ignores a 429 for a request sent before the last cut', () => {
    const limiter = createAdaptiveLimiter({ requestsPerSecond: 100, concurrency: 0 });
    vi.setSystemTime(1000);
    limiter.onRateLimited(undefined, 900);
    expect(limiter.state().rate).toBeCloseTo(70);
    vi.setSystemTime(5000);
    limiter.onRateLimited(undefined, 999); // in flight before the cut at 1000
    expect(limiter.state().rate).toBeCloseTo(70);
    limiter.onRateLimited(undefined, 1001);
    expect(limiter.state().rate).toBeCloseTo(49);
  });

  it('cuts the rate by 0.7 on a 429, once per burst of them, and pauses for the wait', async () => {
    const rates: number[] = [];
    const limiter = createAdaptiveLimiter({
      requestsPerSecond: 100,
      concurrency: 0,
      observer: { onRateChange: (e) => rates.push(e.rate) },
    });
    limiter.onRateLimited(2000);
    limiter.onRateLimited(2000);
    expect(limiter.state().rate).toBeCloseTo(70);
    expect(rates).toEqual([70]);
    const run = startMany(limiter, 1);
    await vi.advanceTimersByTimeAsync(1999);
    expect(run.granted()).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(run.granted()).toBe(1);
    await vi.advanceTimersByTimeAsync(500);
    limiter.onRateLimited();
    expect(limiter.state().rate).toBeCloseTo(49);
  });

  it('lets an occasional 429 among successes through: no pause, no cut (its own request waits)', () => {
    const limiter = createAdaptiveLimiter({ requestsPerSecond: 100, concurrency: 0 });
    for (let i = 0; i < 40; i++) limiter.onSuccess();
    limiter.onRateLimited(2000);
    for (let i = 0; i < 19; i++) limiter.onSuccess();
    limiter.onRateLimited(2000);
    expect(limiter.state().rate).toBe(100);
    expect(limiter.state().pausedUntil).toBe(0);
  });

  it('treats 429s as throttling once they are a fifth of recent answers: pauses everyone and cuts', () => {
    const limiter = createAdaptiveLimiter({ requestsPerSecond: 100, concurrency: 0 });
    for (let i = 0; i < 40; i++) limiter.onSuccess();
    for (let i = 0; i < 9; i++) limiter.onRateLimited(2000);
    expect(limiter.state().rate).toBe(100);
    limiter.onRateLimited(2000); // 10 of the last 50 answers refused
    expect(limiter.state().rate).toBeCloseTo(70);
    expect(limiter.state().pausedUntil).toBe(Date.now() + 2000);
  });

  it('creeps back up additively on successes, never above the configured rate', () => {
    const limiter = createAdaptiveLimiter({ requestsPerSecond: 100, concurrency: 0 });
    limiter.onRateLimited();
    const cut = limiter.state().rate;
    limiter.onSuccess();
    const after = limiter.state().rate;
    expect(after).toBeGreaterThan(cut);
    expect(after - cut).toBeLessThan(1);
    for (let i = 0; i < 10_000; i++) limiter.onSuccess();
    expect(limiter.state().rate).toBe(100);
  });

  it('does not adapt when adaptive is off, but still honours the pause', async () => {
    const limiter = createAdaptiveLimiter({ requestsPerSecond: 100, adaptive: false, concurrency: 0 });
    limiter.onRateLimited(1000);
    limiter.onQuota({ limit: 10, remaining: 5, resetMs: 1000 });
    expect(limiter.state().rate).toBe(100);
    expect(limiter.state().pausedUntil).toBe(1000);
  });

  it('learns a per-second limit from RateLimit headers and paces just under it', () => {
    const limiter = createAdaptiveLimiter({ concurrency: 0 });
    limiter.onQuota({ limit: 300, remaining: 280, resetMs: 1000 });
    expect(limiter.state().learnedLimit).toBe(300);
    expect(limiter.state().rate).toBeCloseTo(294);
    for (let i = 0; i < 1000; i++) limiter.onSuccess();
    expect(limiter.state().rate).toBeCloseTo(294);
  });

  it('uses a stated window and never exceeds a configured ceiling', () => {
    const limiter = createAdaptiveLimiter({ requestsPerSecond: 50, concurrency: 0 });
    limiter.onQuota({ limit: 6000, windowMs: 60_000, remaining: 6000, resetMs: 60_000 });
    expect(limiter.state().learnedLimit).toBe(100);
    expect(limiter.state().rate).toBe(50);
  });

  it('spreads the remaining quota over a long window', () => {
    const limiter = createAdaptiveLimiter({ concurrency: 0 });
    limiter.onQuota({ remaining: 100, resetMs: 10_000 });
    expect(limiter.state().rate).toBeCloseTo(9.8);
  });

  it('pauses until the reset when the quota is used up', async () => {
    const limiter = createAdaptiveLimiter({ concurrency: 0 });
    limiter.onQuota({ limit: 100, remaining: 0, resetMs: 3000 });
    const run = startMany(limiter, 1);
    await vi.advanceTimersByTimeAsync(2999);
    expect(run.granted()).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(run.granted()).toBe(1);
  });

  it('starts from the observed rate when a 429 arrives while unpaced', async () => {
    const limiter = createAdaptiveLimiter({ concurrency: 0 });
    for (let i = 0; i < 10; i++) {
      (await limiter.acquire()).release();
      await vi.advanceTimersByTimeAsync(100);
    }
    limiter.onRateLimited();
    expect(limiter.state().rate).toBeCloseTo(7, 0);
  });
});

describe('rateLimitInterceptor against a destination allowing 300 requests/s', () => {
  /**
   * A model of the mock destination on fake time: fixed one-second windows of 300 requests, RateLimit
   * headers on every answer, 429 with Retry-After past the quota, 5 ms of latency.
   */
  function destination() {
    let windowStart = 0;
    let used = 0;
    let ok = 0;
    let limited = 0;
    const send: Send = async (req) => {
      const now = Date.now();
      if (now - windowStart >= 1000) {
        windowStart = now - ((now - windowStart) % 1000);
        used = 0;
      }
      used++;
      const over = used > 300;
      const headers: Record<string, string> = {
        'ratelimit-limit': '300',
        'ratelimit-remaining': String(Math.max(0, 300 - used)),
        'ratelimit-reset': String(Math.max(1, Math.ceil((windowStart + 1000 - now) / 1000))),
      };
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (over) {
        limited++;
        return {
          status: 429,
          headers: { ...headers, 'retry-after': '1' },
          body: Buffer.alloc(0),
          url: req.url,
        };
      }
      ok++;
      return { status: 201, headers, body: Buffer.alloc(0), url: req.url } satisfies HttpResponse;
    };
    return { send, stats: () => ({ ok, limited }) };
  }

  it('drives it to at least 95% of the limit with under 1% answered 429', async () => {
    const dest = destination();
    const limiter = createAdaptiveLimiter({ concurrency: 16 });
    const send = rateLimitInterceptor(limiter)(dest.send);
    const req: HttpRequest = {
      method: 'POST',
      url: 'http://127.0.0.1/orders',
      headers: {},
      endpoint: 'orders',
    };
    let stop = false;
    const worker = async () => {
      while (!stop) await send(req);
    };
    const workers = Array.from({ length: 16 }, worker);
    await vi.advanceTimersByTimeAsync(10_000);
    stop = true;
    await vi.advanceTimersByTimeAsync(1000);
    await Promise.all(workers);
    const { ok, limited } = dest.stats();
    const achieved = ok / 11; // requests accepted per second over the run
    expect(achieved / 300).toBeGreaterThanOrEqual(0.95 * (10 / 11));
    expect(limited / (ok + limited)).toBeLessThan(0.01);
  });
});
