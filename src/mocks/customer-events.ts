import { customerAt, type MockCustomer } from './customer-data.ts';
import { isQuarantined } from './customer-rules.ts';
import { createRandom, hashSeed } from './prng.ts';

/** The two event types the customer stream holds. */
export type CustomerEventType = 'customer.created' | 'customer.updated';

/** One customer event, as `ferry mock events` sends it (the body is `{type, timestamp, data}`). */
export interface CustomerEvent {
  /** Unique per event of the stream: a redelivery reuses it. */
  readonly id: string;
  readonly type: CustomerEventType;
  /** RFC 3339 with milliseconds, strictly increasing along the stream. */
  readonly timestamp: string;
  readonly data: MockCustomer;
  /** Which customer of the data set (0-based). */
  readonly index: number;
  /** 0 for the creation, then 1, 2... for each update of this customer. */
  readonly version: number;
}

/** The JSON body of an event. */
export function eventBody(event: CustomerEvent): string {
  return JSON.stringify({ type: event.type, timestamp: event.timestamp, data: event.data });
}

const STREETS = ['Harbour Rd', 'Mill Ln', 'Station St', 'Park Ave', 'Church St', 'Bridge Rd'];

/**
 * Customer `index`'s data at `version`: the data set's customer at version 0; each update moves a valid
 * customer to another street and phone. An invalid customer stays invalid (and unchanged but its phone), so
 * what a run must quarantine does not depend on the order events arrive in.
 */
export function customerVersion(seed: number, index: number, version: number): MockCustomer {
  const base = customerAt(seed, index);
  if (version === 0) return base;
  const random = createRandom(hashSeed(seed ^ 0x3e7, index * 1000 + version));
  const phone = `555-${100 + Math.floor(random() * 900)}-${1000 + Math.floor(random() * 9000)}`;
  if (isQuarantined(base)) return { ...base, phone };
  const house = 1 + Math.floor(random() * 9998);
  const street = `${house} ${STREETS[Math.floor(random() * STREETS.length)]}`;
  return { ...base, phone, address: { ...base.address, street } };
}

/**
 * A deterministic stream of customer events: customers are created in order, and once some exist, a share
 * of the events (`updateShare`) update one of them at random. Timestamps come from `now` (made strictly
 * increasing), so a stream sent live carries live times.
 */
export function createCustomerEventStream(options: {
  readonly seed: number;
  readonly customers: number;
  /** @default 0.4 */
  readonly updateShare?: number;
  /** @default Date.now */
  readonly now?: () => number;
}): () => CustomerEvent {
  const { seed, customers } = options;
  const updateShare = options.updateShare ?? 0.4;
  const now = options.now ?? Date.now;
  const random = createRandom(hashSeed(seed, 0xe7e47));
  const versions: number[] = [];
  let created = 0;
  let step = 0;
  let last = 0;
  return () => {
    const update = created >= customers || (created > 0 && random() < updateShare);
    const index = update ? Math.floor(random() * created) : created++;
    const version = update ? versions[index]! + 1 : 0;
    versions[index] = version;
    last = Math.max(now(), last + 1);
    return {
      id: `msg_${seed.toString(36)}_${(step++).toString(36)}`,
      type: version === 0 ? 'customer.created' : 'customer.updated',
      timestamp: new Date(last).toISOString(),
      data: customerVersion(seed, index, version),
      index,
      version,
    };
  };
}
