import { watchAbort } from '../core/abort-watch.ts';
import { FerryError } from '../core/errors.ts';

/** Time as the resilience policies see it, injectable so tests run on fake time. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after ms, or rejects with FERRY_ERR_ABORTED as soon as the signal aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** Rejects with FERRY_ERR_ABORTED when the signal has fired; the one way every wait reports an abort. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw abortedError(signal);
}

function abortedError(signal: AbortSignal): FerryError {
  return new FerryError('FERRY_ERR_ABORTED', 'stopped waiting: the operation was aborted', {
    cause: signal.reason,
  });
}

/** Sleeps on real timers (or vitest's fake ones), honouring an AbortSignal. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortedError(signal));
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      watch?.cancel();
      resolve();
    }, ms);
    const watch =
      signal &&
      watchAbort(signal, () => {
        clearTimeout(timer);
        reject(abortedError(signal));
      });
  });
}

/** The clock of the running process: Date.now and setTimeout (both faked by vi.useFakeTimers). */
export const systemClock: Clock = { now: () => Date.now(), sleep };
