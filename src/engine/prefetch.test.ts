import { describe, expect, it } from 'vitest';
import { prefetchOne } from './prefetch.ts';

async function* counted(log: string[], n: number, failAt?: number) {
  for (let i = 1; i <= n; i++) {
    log.push(`fetch ${i}`);
    await new Promise((r) => setTimeout(r, 1));
    if (i === failAt) throw new Error(`page ${i} failed`);
    yield i;
  }
}

describe('prefetchOne', () => {
  it('requests the next item while the consumer works on the current one, and no further', async () => {
    const log: string[] = [];
    for await (const page of prefetchOne(counted(log, 3))) {
      await new Promise((r) => setTimeout(r, 5));
      log.push(`done ${page}`);
    }
    expect(log).toEqual(['fetch 1', 'fetch 2', 'done 1', 'fetch 3', 'done 2', 'done 3']);
  });

  it('surfaces a failed prefetch when the consumer reaches it', async () => {
    const seen: number[] = [];
    const run = async () => {
      for await (const page of prefetchOne(counted([], 3, 2))) seen.push(page);
    };
    await expect(run()).rejects.toThrow('page 2 failed');
    expect(seen).toEqual([1]);
  });

  it('stops the source when the consumer stops early', async () => {
    const log: string[] = [];
    for await (const page of prefetchOne(counted(log, 10))) if (page === 2) break;
    expect(log.filter((l) => l.startsWith('fetch')).length).toBeLessThanOrEqual(3);
  });
});
