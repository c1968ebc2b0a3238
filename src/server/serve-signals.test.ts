import { Writable } from 'node:stream';
import { describe, expect, it, vi } from 'vitest';
import { createLogger } from '../observability/logger.ts';
import type { Serve } from './serve.ts';
import { serveUntilSignal } from './serve-signals.ts';

const quiet = () =>
  createLogger({ destination: new Writable({ write: (_c, _e, done) => done() }), format: 'json' });

const fakeServe = () => {
  const serve = { reload: vi.fn(async () => []), stop: vi.fn(async () => {}) };
  return serve as typeof serve & Serve;
};

describe('serveUntilSignal', () => {
  it('handles a SIGHUP that comes while the server is still starting, once it has started', async () => {
    let started!: (serve: Serve) => void;
    const starting = new Promise<Serve>((resolve) => {
      started = resolve;
    });
    const listenersBefore = process.listenerCount('SIGHUP');
    const done = serveUntilSignal(starting, quiet(), () => {
      throw new Error('no forced exit expected');
    });
    expect(process.listenerCount('SIGHUP')).toBe(listenersBefore + 1);
    process.emit('SIGHUP', 'SIGHUP');
    const serve = fakeServe();
    started(serve);
    await vi.waitFor(() => expect(serve.reload).toHaveBeenCalledTimes(1));
    // Node passes a signal's listeners its name.
    process.emit('SIGTERM', 'SIGTERM');
    await expect(done).resolves.toBe('SIGTERM');
    expect(serve.stop).toHaveBeenCalledTimes(1);
    expect(process.listenerCount('SIGHUP')).toBe(listenersBefore);
  });

  it('rejects with the start error and leaves no handler behind', async () => {
    const listenersBefore = process.listenerCount('SIGTERM');
    const done = serveUntilSignal(Promise.reject(new Error('port taken')), quiet(), () => {
      throw new Error('no forced exit expected');
    });
    await expect(done).rejects.toThrow('port taken');
    expect(process.listenerCount('SIGTERM')).toBe(listenersBefore);
  });
});
