import { describe, expect, it } from 'vitest';
import { createRecentKeys } from './recent-keys.ts';

describe('createRecentKeys', () => {
  it('refuses a key while its record is in flight, and lets it in again once released unsettled', () => {
    const recent = createRecentKeys(4);
    expect(recent.claim('a')).toBe(true);
    expect(recent.claim('a')).toBe(false);
    recent.release('a');
    expect(recent.claim('a')).toBe(true);
  });

  it('refuses a settled key after its release, as long as it is among the last `capacity` settled', () => {
    const recent = createRecentKeys(3);
    for (const key of ['a', 'b', 'c']) {
      recent.claim(key);
      recent.settled(key);
      recent.release(key);
    }
    expect(['a', 'b', 'c'].map((key) => recent.claim(key))).toEqual([false, false, false]);
  });

  it('forgets the oldest settled key first, and a key settled twice counts once', () => {
    const recent = createRecentKeys(3);
    for (const key of ['a', 'b', 'a', 'c', 'd']) recent.settled(key);
    // 'a' came first and was not renewed by its second settle: 'd' evicted it, 'b', 'c' and 'd' remain.
    expect(['a', 'b', 'c', 'd'].map((key) => recent.claim(key))).toEqual([true, false, false, false]);
  });

  it('stays bounded over many keys: only the last `capacity` are remembered', () => {
    const recent = createRecentKeys(100);
    for (let i = 0; i < 10_000; i++) recent.settled(String(i));
    expect(recent.claim('9899')).toBe(true);
    expect(recent.claim('9900')).toBe(false);
    expect(recent.claim('9999')).toBe(false);
  });
});
