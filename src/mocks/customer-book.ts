import { customerAt, dirtAt, freshCustomer, type MockCustomer, seededUpdatedAtMs } from './customer-data.ts';
import { createRandom, hashSeed } from './prng.ts';

/** What one churn step did to the data set. */
export interface ChurnEvent {
  readonly kind: 'updated' | 'added' | 'deleted';
  /** The customer's position in the data set (its id is `index + 1` after an update or an add). */
  readonly index: number;
  readonly updatedAt: string;
}

/** Shares of churn steps that add and that delete a customer; the rest update one. */
export interface ChurnMix {
  /** @default 0.25 */
  readonly addShare?: number;
  /** @default 0.1 */
  readonly deleteShare?: number;
}

/** Where a customer stands in a listing by updated_at: its position and when it last changed. */
export interface PlacedCustomer {
  readonly index: number;
  readonly updatedAtMs: number;
}

/** Where a keyset page starts: after the customer at `index` changed at `ms` (exclusive). */
export interface KeysetAfter {
  readonly ms: number;
  readonly index: number;
}

interface Version {
  readonly customer: MockCustomer;
  readonly updatedAtMs: number;
  readonly step: number;
}

/**
 * The customer data set as it stands: the seeded customers, computed on demand, plus what churn changed
 * since. Churn step k is drawn from (seed, k) alone, so the same steps give the same data set whatever
 * their timing; only their updated_at comes from the clock (strictly increasing, after every seeded one).
 */
export function createCustomerBook(options: {
  seed: number;
  count: number;
  now: () => number;
  mix?: ChurnMix;
}) {
  const { seed, count, now } = options;
  const addShare = options.mix?.addShare ?? 0.25;
  const deleteShare = options.mix?.deleteShare ?? 0.1;
  let size = count;
  let steps = 0;
  let lastMs = count > 0 ? seededUpdatedAtMs(count - 1) : seededUpdatedAtMs(0) - 1;
  const versions = new Map<number, Version>();
  // Every version churn wrote, in the order written, which is updated_at order: stale entries (a later
  // version of the same customer exists) are skipped when listing.
  const written: { readonly index: number; readonly step: number; readonly ms: number }[] = [];

  // A seeded duplicate row lists the customer before it a second time: one customer, one id. Churn changes
  // that customer, never the repeat on its own, so no two rows ever hold different versions of one id.
  function customerIndexOf(index: number): number {
    return index < count && dirtAt(seed, index) === 'duplicate' ? index - 1 : index;
  }

  function at(index: number): MockCustomer {
    return versions.get(customerIndexOf(index))?.customer ?? customerAt(seed, index);
  }

  function updatedAtMsOf(index: number): number {
    return versions.get(customerIndexOf(index))?.updatedAtMs ?? seededUpdatedAtMs(index);
  }

  function step(): ChurnEvent {
    const k = steps++;
    const random = createRandom(hashSeed(seed ^ 0x0c4a2f, k));
    const ms = Math.max(now(), lastMs + 1);
    lastMs = ms;
    const u = random();
    let kind: ChurnEvent['kind'];
    let index: number;
    let customer: MockCustomer;
    if (size === 0 || u < addShare) {
      kind = 'added';
      index = size++;
      customer = freshCustomer(random, index, ms, `.v${k}`);
    } else if (u < addShare + deleteShare) {
      kind = 'deleted';
      index = customerIndexOf(Math.floor(random() * size));
      const updatedAt = new Date(ms).toISOString();
      customer = { ...at(index), updated_at: updatedAt, deleted_at: updatedAt };
    } else {
      kind = 'updated';
      index = customerIndexOf(Math.floor(random() * size));
      // A new, clean version (a deleted customer comes back).
      customer = freshCustomer(random, index, ms, `.v${k}`);
    }
    versions.set(index, { customer, updatedAtMs: ms, step: k });
    written.push({ index, step: k, ms });
    return { kind, index, updatedAt: new Date(ms).toISOString() };
  }

  /** The first entry of `written` at or after `ms`: they are in time order. */
  function firstWrittenFrom(ms: number): number {
    let low = 0;
    let high = written.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (written[mid]!.ms < ms) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  return {
    /** Customers in the data set now (deleted ones included: they are soft-deleted). */
    size: () => size,
    /** Churn steps applied so far. */
    steps: () => steps,
    /** Customer `index` as it stands. */
    at,
    updatedAtMsOf,
    /** Applies the next `n` churn steps now. */
    churn(n = 1): ChurnEvent[] {
      return Array.from({ length: n }, step);
    },
    /**
     * The customers changed at or after `sinceMs`, ascending by updated_at then position, lazily (`at`
     * gives each one); with `after`, only those after that customer (keyset paging).
     */
    *changedSince(sinceMs: number, after?: KeysetAfter): Generator<PlacedCustomer> {
      const past = (ms: number, index: number) =>
        after === undefined || ms > after.ms || (ms === after.ms && index > after.index);
      // Seeded customers first: every churned version is later than all of them.
      const fromSecond = Math.ceil((sinceMs - seededUpdatedAtMs(0)) / 1000);
      for (let index = Math.max(0, fromSecond * 3); index < count; index++) {
        // A changed customer is listed once, at its new version.
        if (versions.has(customerIndexOf(index))) continue;
        const ms = seededUpdatedAtMs(index);
        if (ms < sinceMs || !past(ms, index)) continue;
        yield { index, updatedAtMs: ms };
      }
      for (let i = firstWrittenFrom(sinceMs); i < written.length; i++) {
        const { index, step: k, ms } = written[i]!;
        if (versions.get(index)!.step !== k || !past(ms, index)) continue;
        yield { index, updatedAtMs: ms };
      }
    },
  };
}

export type CustomerBook = ReturnType<typeof createCustomerBook>;
