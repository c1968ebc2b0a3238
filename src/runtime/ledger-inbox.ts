import type { InboxReader } from '../core/connector-types.ts';
import type { Ledger } from '../core/ledger-types.ts';

/**
 * Tells a running webhook source that events arrived. A counter rather than a one-shot signal: a source
 * that read the inbox empty just before an event was stored sees that the count moved, and does not sleep
 * through it.
 */
export interface EventNotifier {
  /** How many times events were announced so far. */
  readonly generation: number;
  /** Announces that events were stored. */
  notify(): void;
  /** Resolves once the generation passes `seen`, after `timeoutMs`, or when `signal` aborts. */
  wait(seen: number, timeoutMs: number, signal: AbortSignal): Promise<void>;
}

/** Creates an EventNotifier; `ferry serve` keeps one per integration with a webhook source. */
export function createEventNotifier(): EventNotifier {
  let generation = 0;
  const waiters = new Set<() => void>();
  return {
    get generation() {
      return generation;
    },
    notify() {
      generation++;
      for (const wake of [...waiters]) wake();
    },
    wait(seen, timeoutMs, signal) {
      if (generation !== seen || signal.aborted) return Promise.resolve();
      return new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          waiters.delete(done);
          signal.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, Math.max(0, timeoutMs));
        waiters.add(done);
        signal.addEventListener('abort', done, { once: true });
      });
    },
  };
}

/**
 * The inbox of one integration in the ledger, as its webhook source reads it. With a notifier (`ferry
 * serve`) the source waits for events while the run lasts; without one (`ferry run`) it ends once drained.
 */
export function ledgerInbox(ledger: Ledger, integration: string, notifier?: EventNotifier): InboxReader {
  // The generation seen at the last read: an event announced after it wakes the next wait at once.
  let seen = notifier?.generation ?? 0;
  return {
    read(afterSeq, limit) {
      if (notifier) seen = notifier.generation;
      return ledger.inboxRead(integration, afterSeq, limit);
    },
    acknowledge: (upToSeq) => ledger.inboxAcknowledge(integration, upToSeq),
    ...(notifier
      ? { waitForEvents: (timeoutMs: number, signal: AbortSignal) => notifier.wait(seen, timeoutMs, signal) }
      : {}),
  };
}
