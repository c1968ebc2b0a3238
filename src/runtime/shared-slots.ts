import { asConcurrencyLimit, type ConcurrencyLimit } from '../core/concurrency-limit.ts';
import { createSlots, type Slots } from '../engine/slots.ts';

/** A process's claim on a destination's concurrency, shared by a cluster (src/state/postgres-destination-budget.ts). */
export interface SlotBudget {
  /** Claims a share of `total` requests in flight: `share` is what is fair now, `claimed` what is free of it. */
  claimSlots(total: number, want: number, inFlight: number): Promise<{ share: number; claimed: number }>;
  leaveSlots(): Promise<void>;
}

/** Slots whose number follows the process's share of the destination's concurrency. */
export interface SharedSlots extends Slots {
  /** Resolves once the first share was claimed. */
  readonly ready: Promise<void>;
  /**
   * Says whether this process has records to send: an idle one claims nothing, so the processes that send
   * share the whole concurrency. Becoming busy claims a share at once.
   */
  busy(busy: boolean): void;
  /** Stops claiming and gives the share back. */
  close(): Promise<void>;
}

/** Options of createSharedSlots. */
export interface SharedSlotsOptions {
  /** The destination's concurrency for the whole cluster (destination.concurrency). */
  readonly total: number;
  /** The most this process sends at once (--concurrency, else the destination's limit, which may move). */
  readonly want: number | ConcurrencyLimit;
  /** How often the share is claimed again. @default 1000 */
  readonly everyMs?: number;
  /**
   * How long a share may go unrenewed (the database out of reach) before this process stops sending: others
   * take a silent process's share after 10 s. @default 8000
   */
  readonly staleMs?: number;
  readonly onError?: (error: unknown) => void;
}

/**
 * Slots for sending to a destination whose concurrency the whole cluster shares: this process holds its
 * share (an even split between the processes sending, never more than it wants), claimed again every second.
 * A share that shrinks takes effect as requests finish; one that grows only takes what others gave back, so
 * the cluster never has more requests in flight than the destination's concurrency.
 */
export function createSharedSlots(budget: SlotBudget, options: SharedSlotsOptions): SharedSlots {
  const everyMs = options.everyMs ?? 1000;
  const want = asConcurrencyLimit(options.want);
  const staleMs = options.staleMs ?? 8000;
  // The share claimed last: the limit the slots follow. 0 until the first claim, and after 8 s unrenewed.
  let cap = 0;
  const listeners = new Set<(limit: number) => void>();
  const slots = createSlots({
    current: () => cap,
    max: options.total,
    adaptive: false,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  });
  const setCap = (next: number) => {
    cap = next;
    for (const listener of listeners) listener(cap);
  };
  let renewedAt = performance.now();
  let closed = false;
  // Idle until the first page: a process that sends nothing claims nothing.
  let wanting = false;
  const claim = async () => {
    try {
      const claimed = await budget.claimSlots(options.total, wanting ? want.current() : 0, slots.held());
      renewedAt = performance.now();
      setCap(Math.min(claimed.share, claimed.claimed));
    } catch (error) {
      options.onError?.(error);
      if (performance.now() - renewedAt > staleMs) setCap(0);
    }
  };
  const ready = claim();
  let timer: NodeJS.Timeout | undefined;
  const again = () => {
    timer = setTimeout(async () => {
      await claim();
      if (!closed) again();
    }, everyMs);
  };
  again();
  return {
    ready,
    acquire: slots.acquire,
    release: slots.release,
    size: () => cap,
    held: slots.held,
    busy(busy) {
      if (busy === wanting) return;
      wanting = busy;
      void claim();
    },
    dispose() {
      closed = true;
      clearTimeout(timer);
      slots.dispose();
    },
    async close() {
      this.dispose();
      await budget.leaveSlots().catch(() => {});
    },
  };
}
