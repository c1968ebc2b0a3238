import { describe, expect, it } from 'vitest';
import { createOrderedQueue } from './ordered-queue.ts';

/** A batch writer that logs what it wrote and can be told to fail. */
function recorder() {
  const log: string[] = [];
  let failNext: Error | undefined;
  return {
    log,
    failNextWith(error: Error) {
      failNext = error;
    },
    async write(items: readonly string[]) {
      await Promise.resolve();
      if (failNext) {
        const error = failNext;
        failNext = undefined;
        throw error;
      }
      log.push(`batch ${items.join(',')}`);
    },
  };
}

describe('createOrderedQueue', () => {
  it('writes items queued in one turn as one batch', async () => {
    const store = recorder();
    const queue = createOrderedQueue(store.write);
    await Promise.all([queue.enqueue('a'), queue.enqueue('b'), queue.enqueue('c')]);
    expect(store.log).toEqual(['batch a,b,c']);
  });

  it('runs an operation after the items queued before it and before those queued after', async () => {
    const store = recorder();
    const queue = createOrderedQueue(store.write, { delayMs: 1000 });
    const first = queue.enqueue('a');
    const read = queue.run(async () => {
      store.log.push('read');
    });
    const second = queue.enqueue('b');
    const flushed = queue.flush();
    await Promise.all([first, read, second, flushed]);
    expect(store.log).toEqual(['batch a', 'read', 'batch b']);
  });

  it('rejects the waiters of a failed batch and the operation that followed it, then goes on', async () => {
    const store = recorder();
    const queue = createOrderedQueue(store.write);
    store.failNextWith(new Error('disk full'));
    const queued = queue.enqueue('a');
    const checkpoint = queue.run(async () => 'saved');
    await expect(queued).rejects.toThrow('disk full');
    await expect(checkpoint).rejects.toThrow('disk full');
    await queue.enqueue('b');
    await expect(queue.run(async () => 'read')).resolves.toBe('read');
    expect(store.log).toEqual(['batch b']);
  });

  it('flushes with nothing queued once what came before is done', async () => {
    const store = recorder();
    const queue = createOrderedQueue(store.write);
    const slow = queue.run(async () => {
      await new Promise((resolve) => setImmediate(resolve));
      store.log.push('slow');
    });
    await queue.flush();
    expect(store.log).toEqual(['slow']);
    await slow;
    expect(queue.pending).toBe(0);
  });

  it('writes items of one turn together on the next turn when asked to flush soon, without the delay', async () => {
    const store = recorder();
    const queue = createOrderedQueue(store.write, { delayMs: 60_000 });
    const marks = ['a', 'b', 'c'].map((item) => {
      const written = queue.enqueue(item);
      queue.flushSoon();
      return written;
    });
    await Promise.all(marks);
    expect(store.log).toEqual(['batch a,b,c']);
  });
});
