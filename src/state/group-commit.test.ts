import { describe, expect, it, vi } from 'vitest';
import { createGroupCommit } from './group-commit.ts';

describe('createGroupCommit', () => {
  it('writes everything queued in one tick as one batch', async () => {
    const batches: number[][] = [];
    const group = createGroupCommit<number>((items) => batches.push([...items]));
    await Promise.all([group.enqueue(1), group.enqueue(2), group.enqueue(3)]);
    await group.enqueue(4);
    expect(batches).toEqual([[1, 2, 3], [4]]);
  });

  it('batches the next items of callers woken by the previous batch together', async () => {
    const sizes: number[] = [];
    const group = createGroupCommit<number>((items) => sizes.push(items.length));
    async function worker(id: number): Promise<void> {
      for (let i = 0; i < 5; i++) await group.enqueue(id);
    }
    await Promise.all([worker(1), worker(2), worker(3), worker(4)]);
    expect(sizes).toEqual([4, 4, 4, 4, 4]);
  });

  it('rejects every waiter of a failed batch and keeps working afterwards', async () => {
    let fail = true;
    const group = createGroupCommit<string>(() => {
      if (fail) throw new Error('disk full');
    });
    const results = await Promise.allSettled([group.enqueue('a'), group.enqueue('b')]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    fail = false;
    await expect(group.enqueue('c')).resolves.toBeUndefined();
  });

  it('flushNow writes at once and throws the failure after rejecting the waiters', async () => {
    const written: string[] = [];
    const group = createGroupCommit<string>((items) => {
      if (items.includes('bad')) throw new Error('constraint');
      written.push(...items);
    });
    const ok = group.enqueue('a');
    expect(group.pending).toBe(1);
    group.flushNow();
    expect(written).toEqual(['a']);
    await ok;
    const bad = group.enqueue('bad');
    expect(() => group.flushNow()).toThrow('constraint');
    await expect(bad).rejects.toThrow('constraint');
    expect(group.pending).toBe(0);
  });

  it('with a delay, gathers items queued across loop turns until the timer fires', async () => {
    vi.useFakeTimers();
    try {
      const batches: number[][] = [];
      const group = createGroupCommit<number>((items) => batches.push([...items]), { delayMs: 5 });
      const first = group.enqueue(1);
      await vi.advanceTimersByTimeAsync(2);
      const second = group.enqueue(2);
      expect(batches).toEqual([]);
      await vi.advanceTimersByTimeAsync(3);
      await Promise.all([first, second]);
      expect(batches).toEqual([[1, 2]]);
      const third = group.enqueue(3);
      group.flushNow();
      await third;
      expect(batches).toEqual([[1, 2], [3]]);
      // flushNow cancelled the timer: nothing runs later with an empty batch.
      await vi.advanceTimersByTimeAsync(10);
      expect(batches).toHaveLength(2);
    } finally {
      vi.useRealTimers();
    }
  });
});
