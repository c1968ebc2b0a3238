/** What a window delivered: the requests the destination held on average, and its answers per ms. */
export interface Delivery {
  readonly held: number;
  readonly rate: number;
}

/** The held requests must rise by this share for two windows to be compared. */
const MIN_HELD_RISE = 0.1;
/** The share of that rise the answers per ms must follow for the extra requests to have paid. */
const MIN_GAIN = 0.5;
/** Windows held before the first probe, and after a cut or a probe that paid. */
const FEWEST_HOLDS = 2;
/** Windows held before a probe at most, after probes that did not pay: at a capacity they only queue. */
const MOST_HOLDS = 32;

/**
 * Whether holding more requests than before got more answers a second: at least half as much more. A
 * destination at its capacity queues what it holds past it and answers no faster (its round trip rises by
 * the queue); one whose round trip rises for another reason (a server sharing its cores with the client,
 * slower as both get busier) still answers faster, and the rise is no queue of ours.
 */
export function paidOff(before: Delivery, after: Delivery): boolean {
  if (before.held <= 0 || before.rate <= 0) return false;
  const heldRise = after.held / before.held - 1;
  return heldRise >= MIN_HELD_RISE && after.rate / before.rate - 1 >= MIN_GAIN * heldRise;
}

/** How a window judged during a probe ends it. */
export type ProbeVerdict =
  /** The probe's first window: answers to requests sent before it still come in, so it is not compared. */
  | { readonly kind: 'wait' }
  /** More answers a second: the rise was no queue, and the next probe can start from this delivery. */
  | { readonly kind: 'paid'; readonly delivery: Delivery }
  /**
   * No more answers a second: `from` is the limit before the probe, `capacity` the requests the destination
   * holds without a queue (its answers a ms times the baseline; Infinity when not measured).
   */
  | { readonly kind: 'unpaid'; readonly from: number; readonly capacity: number };

/**
 * Probes past a limit held for a round trip that rose, to tell a queue from a destination that is only
 * slower as it gets busier (after BBR, which probes for bandwidth instead of trusting the round trip). A
 * probe raises the limit, lets one window pass for the answers to the requests sent before it, and sets the
 * next, steady window's answers a second against those of the window it started from. Probes that did not
 * pay come ever more rarely, and the capacity one found is a ceiling that only the next probe looks past;
 * the limit a probe that paid came from is a floor that a cut for latency stops at. Both hold until the
 * destination pushes back or the baseline is measured again.
 */
export function createDeliveryProbe() {
  let holds = 0;
  let holdsBeforeProbe = FEWEST_HOLDS;
  let floor = 0;
  let capacity = Number.POSITIVE_INFINITY;
  let probe: { from: number; base: Delivery; waited: boolean } | undefined;
  const paid = (): void => {
    if (probe !== undefined) floor = Math.max(floor, probe.from);
    probe = undefined;
    capacity = Number.POSITIVE_INFINITY;
    holdsBeforeProbe = FEWEST_HOLDS;
  };

  return {
    /** The limit a cut for latency stops at: 0 until a probe paid. */
    floor: () => floor,
    /** The requests the destination held without a queue, as the last probe that did not pay found. */
    capacity: () => capacity,
    probing: () => probe !== undefined,
    /** A steady window held for its round trip: whether to probe from it now. */
    held(delivery: Delivery | undefined): boolean {
      return ++holds >= holdsBeforeProbe && delivery !== undefined;
    },
    /** A probe leaves from `from`, its answers to be set against `base`. */
    start(from: number, base: Delivery): void {
      holds = 0;
      probe = { from, base, waited: false };
    },
    /** A window during a probe; `delivery` is undefined when it was not steady. */
    judge(delivery: Delivery | undefined, baselineMs: number): ProbeVerdict {
      if (probe === undefined) throw new Error('no probe is being judged');
      if (!probe.waited) {
        probe.waited = true;
        return { kind: 'wait' };
      }
      const { from, base } = probe;
      if (delivery !== undefined && paidOff(base, delivery)) {
        paid();
        return { kind: 'paid', delivery };
      }
      probe = undefined;
      holdsBeforeProbe = Math.min(MOST_HOLDS, 2 * holdsBeforeProbe);
      capacity = delivery === undefined ? Number.POSITIVE_INFINITY : delivery.rate * baselineMs;
      return { kind: 'unpaid', from, capacity };
    },
    /**
     * A window during a probe read flat: no queue, so by Little's law the answers a second rose with the
     * requests held. The probe paid without waiting for its verdict.
     */
    flat: paid,
    /** A cut for latency: the next probe comes as soon as at first. */
    cut(): void {
      holds = 0;
      holdsBeforeProbe = FEWEST_HOLDS;
    },
    /** The destination pushed back, or the baseline is measured again: what paid before may not now. */
    forget(): void {
      floor = 0;
      capacity = Number.POSITIVE_INFINITY;
      probe = undefined;
      holds = 0;
    },
  };
}
