import { describe, expect, it } from 'vitest';
import { manualClock } from './test-servers.ts';
import { createTokenCache, type IssuedToken } from './token-cache.ts';

/** An issue() whose calls the test resolves by hand. */
function manualIssuer() {
  const pending: Array<{ resolve(t: IssuedToken): void; reject(e: unknown): void }> = [];
  let calls = 0;
  return {
    issue: () =>
      new Promise<IssuedToken>((resolve, reject) => {
        calls += 1;
        pending.push({ resolve, reject });
      }),
    calls: () => calls,
    resolve(value: string, lifetimeMs = 60_000) {
      pending.shift()?.resolve({ value, lifetimeMs });
    },
    reject(error: unknown) {
      pending.shift()?.reject(error);
    },
  };
}

describe('createTokenCache', () => {
  it('says a token is fresh exactly while get() would hand it out without renewing', async () => {
    const issuer = manualIssuer();
    const clock = manualClock();
    const cache = createTokenCache({ issue: issuer.issue, clock: clock.now, refreshSkewMs: 10_000 });
    expect(cache.fresh()).toBeUndefined();
    const first = cache.get();
    issuer.resolve('t1', 60_000);
    await first;
    expect(cache.fresh()).toBe('t1');
    clock.advance(49_999);
    expect(cache.fresh()).toBe('t1');
    clock.advance(1);
    expect(cache.fresh()).toBeUndefined();
    const renewed = cache.get();
    expect(issuer.calls()).toBe(2);
    issuer.resolve('t2');
    expect(await renewed).toBe('t2');
    expect(cache.fresh()).toBe('t2');
  });

  it('shares one renewal among all callers waiting for it', async () => {
    const issuer = manualIssuer();
    const cache = createTokenCache({ issue: issuer.issue });
    const waiting = Promise.all(Array.from({ length: 100 }, () => cache.get()));
    issuer.resolve('t1');
    expect(new Set(await waiting)).toEqual(new Set(['t1']));
    expect(issuer.calls()).toBe(1);
  });

  it('hands the failure to every waiter and tries again on the next call', async () => {
    const issuer = manualIssuer();
    const cache = createTokenCache({ issue: issuer.issue });
    const waiting = Promise.allSettled([cache.get(), cache.get()]);
    issuer.reject(new Error('down'));
    expect((await waiting).map((r) => r.status)).toEqual(['rejected', 'rejected']);
    const next = cache.get();
    issuer.resolve('t2');
    expect(await next).toBe('t2');
    expect(issuer.calls()).toBe(2);
  });

  it('primes a token without waiting, so the first get() finds it fresh', async () => {
    const issuer = manualIssuer();
    const cache = createTokenCache({ issue: issuer.issue });
    cache.prime();
    cache.prime();
    expect(issuer.calls()).toBe(1);
    issuer.resolve('t1');
    await Promise.resolve();
    await expect(cache.get()).resolves.toBe('t1');
    expect(issuer.calls()).toBe(1);
  });

  it('keeps a primed failure for the first get() to report, once, without asking again', async () => {
    const issuer = manualIssuer();
    const cache = createTokenCache({ issue: issuer.issue });
    cache.prime();
    issuer.reject(new Error('invalid_client'));
    await new Promise((resolve) => setImmediate(resolve));
    await expect(cache.get()).rejects.toThrow('invalid_client');
    expect(issuer.calls()).toBe(1);
    const next = cache.get();
    expect(issuer.calls()).toBe(2);
    issuer.resolve('t2');
    await expect(next).resolves.toBe('t2');
  });

  it('caps the skew at half the lifetime so a short-lived token is still reused', async () => {
    const issuer = manualIssuer();
    const clock = manualClock();
    const cache = createTokenCache({ issue: issuer.issue, clock: clock.now, refreshSkewMs: 30_000 });
    const first = cache.get();
    issuer.resolve('short', 10_000);
    await first;
    clock.advance(4_000);
    expect(await cache.get()).toBe('short');
    expect(issuer.calls()).toBe(1);
  });

  it('does not renew on a 401 for a token it has already replaced', async () => {
    const issuer = manualIssuer();
    const cache = createTokenCache({ issue: issuer.issue });
    const first = cache.get();
    issuer.resolve('old');
    await first;
    const forced = cache.refresh('old');
    issuer.resolve('new');
    await forced;
    await cache.refresh('old');
    expect(issuer.calls()).toBe(2);
    expect(cache.peek()).toBe('new');
  });

  it('never hands out a token the server refused, even when renewing it fails', async () => {
    const issuer = manualIssuer();
    const cache = createTokenCache({ issue: issuer.issue });
    const first = cache.get();
    issuer.resolve('refused');
    await first;
    const forced = cache.refresh('refused');
    issuer.reject(new Error('down'));
    await expect(forced).rejects.toThrow('down');
    expect(cache.peek()).toBeUndefined();
  });
});
