import { describe, expect, it } from 'vitest';
import { watchAbort } from './abort-watch.ts';

describe('watchAbort', () => {
  it('calls every watcher of a signal once when it aborts, and none that was cancelled', () => {
    const controller = new AbortController();
    const calls: string[] = [];
    watchAbort(controller.signal, () => calls.push('a'));
    const b = watchAbort(controller.signal, () => calls.push('b'));
    watchAbort(controller.signal, () => calls.push('c'));
    b.cancel();

    controller.abort();
    controller.abort();

    expect(calls).toEqual(['a', 'c']);
  });

  it('keeps signals apart', () => {
    const first = new AbortController();
    const second = new AbortController();
    const calls: string[] = [];
    watchAbort(first.signal, () => calls.push('first'));
    watchAbort(second.signal, () => calls.push('second'));

    second.abort();

    expect(calls).toEqual(['second']);
  });

  it('calls watchers in order, skipping one cancelled by another while the signal fires', () => {
    const controller = new AbortController();
    const calls: string[] = [];
    const watches = new Map<string, { cancel(): void }>();
    for (const name of ['a', 'b', 'c', 'd']) {
      const watch = watchAbort(controller.signal, () => {
        calls.push(name);
        // A finished request cancels its own watch; 'a' also cancels 'c', which has not been called yet.
        watches.get(name)?.cancel();
        if (name === 'a') watches.get('c')?.cancel();
      });
      watches.set(name, watch);
    }

    controller.abort();

    expect(calls).toEqual(['a', 'b', 'd']);
  });

  it('survives many watches cancelled in turn, as a run of requests makes', () => {
    const controller = new AbortController();
    let called = 0;
    for (let i = 0; i < 10_000; i++) watchAbort(controller.signal, () => called++).cancel();
    const last = watchAbort(controller.signal, () => called++);

    controller.abort();
    last.cancel();

    expect(called).toBe(1);
  });
});
