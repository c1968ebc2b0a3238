import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createDeadlineQueue } from './deadline-queue.ts';

describe('createDeadlineQueue', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const clock = () => Date.now();

  it('expires each deadline at its own time, oldest first', async () => {
    const queue = createDeadlineQueue(100, clock);
    const expired: [string, number][] = [];
    const started = Date.now();
    const note = (name: string) => () => expired.push([name, Date.now() - started]);
    queue.start(note('a'));
    await vi.advanceTimersByTimeAsync(30);
    queue.start(note('b'));
    await vi.advanceTimersByTimeAsync(30);
    queue.start(note('c'));
    await vi.advanceTimersByTimeAsync(39);
    expect(expired).toEqual([]);
    await vi.advanceTimersByTimeAsync(200);
    expect(expired).toEqual([
      ['a', 100],
      ['b', 130],
      ['c', 160],
    ]);
  });

  it('never calls a cancelled deadline, and still calls the ones after it', async () => {
    const queue = createDeadlineQueue(100, clock);
    const expired: string[] = [];
    const first = queue.start(() => expired.push('first'));
    await vi.advanceTimersByTimeAsync(10);
    queue.start(() => expired.push('second'));
    queue.cancel(first);
    queue.cancel(first);
    await vi.advanceTimersByTimeAsync(105);
    expect(expired).toEqual(['second']);
  });

  it('expires the rest in order when deadlines in the middle and at the end are cancelled', async () => {
    const queue = createDeadlineQueue(100, clock);
    const expired: [number, number][] = [];
    const started = Date.now();
    const deadlines = [];
    for (let i = 1; i <= 5; i++) {
      deadlines.push(queue.start(() => expired.push([i, Date.now() - started])));
      await vi.advanceTimersByTimeAsync(10);
    }
    queue.cancel(deadlines[1]!);
    queue.cancel(deadlines[4]!);
    queue.cancel(deadlines[4]!);
    const late = queue.start(() => expired.push([6, Date.now() - started]));
    await vi.advanceTimersByTimeAsync(300);
    expect(expired).toEqual([
      [1, 100],
      [3, 120],
      [4, 130],
      [6, 150],
    ]);
    queue.cancel(late);
  });

  it('keeps one timer for any number of pending deadlines, and none once all are settled', async () => {
    const queue = createDeadlineQueue(100, clock);
    const deadlines = Array.from({ length: 50 }, () => queue.start(() => undefined));
    expect(vi.getTimerCount()).toBe(1);
    for (const deadline of deadlines) queue.cancel(deadline);
    await vi.advanceTimersByTimeAsync(100);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('arms again for deadlines started after the queue went idle', async () => {
    const queue = createDeadlineQueue(50, clock);
    const expired: number[] = [];
    queue.start(() => expired.push(1));
    await vi.advanceTimersByTimeAsync(60);
    queue.start(() => expired.push(2));
    await vi.advanceTimersByTimeAsync(49);
    expect(expired).toEqual([1]);
    await vi.advanceTimersByTimeAsync(1);
    expect(expired).toEqual([1, 2]);
  });
});
