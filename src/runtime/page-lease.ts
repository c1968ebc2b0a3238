import { FerryError } from '../core/errors.ts';

/** How a worker keeps a page: renewals, and the time after which it sends nothing more of it. */
export interface LeaseClockOptions {
  /** How long the lease lasts after a renewal, as the queue counts it. */
  readonly leaseMs: number;
  /** Taken off the lease on this process's side: time for a send to leave, a pause, clock drift. */
  readonly marginMs: number;
  /** performance.now() before the page was taken: the lease started no earlier. */
  readonly from: number;
  /** How often to renew. */
  readonly everyMs: number;
  /** Renews the lease: true renewed, false gone; a throw (the database unreachable) says nothing. */
  renew(): Promise<boolean>;
  /** What the page is, for the error's message. */
  readonly what: string;
}

/** A lease's clock: its signal aborts when the page may no longer be sent. */
export interface LeaseClock {
  readonly signal: AbortSignal;
  stop(): void;
}

/**
 * Keeps a page's lease and says, by this process's own clock, when it may have run out. Each renewal counts
 * from the moment it was asked for, before the server stored it, so this side always gives up before the
 * queue can give the page to another worker (by the margin): a worker cut off from the database stops
 * sending while its lease still holds, whether or not it ever hears that it lost it.
 */
export function startLeaseClock(options: LeaseClockOptions): LeaseClock {
  const controller = new AbortController();
  let deadline = options.from + options.leaseMs - options.marginMs;
  let expiry: NodeJS.Timeout | undefined;
  let renewal: NodeJS.Timeout | undefined;
  let stopped = false;

  const lose = (why: string) => {
    if (controller.signal.aborted) return;
    controller.abort(
      new FerryError('FERRY_ERR_LEASE_LOST', `${options.what}: ${why}; another worker takes it over`),
    );
    stop();
  };
  const arm = () => {
    clearTimeout(expiry);
    expiry = setTimeout(
      () => lose('its lease may have run out (no renewal reached the database in time)'),
      Math.max(0, deadline - performance.now()),
    );
  };
  const renewSoon = () => {
    renewal = setTimeout(async () => {
      const askedAt = performance.now();
      const renewed = await options.renew().catch(() => undefined);
      if (stopped) return;
      if (renewed === true) {
        deadline = Math.max(deadline, askedAt + options.leaseMs - options.marginMs);
        arm();
      } else if (renewed === false) {
        lose('its lease was given to another worker or cancelled');
        return;
      }
      renewSoon();
    }, options.everyMs);
  };
  function stop(): void {
    stopped = true;
    clearTimeout(expiry);
    clearTimeout(renewal);
  }
  arm();
  renewSoon();
  return { signal: controller.signal, stop };
}
