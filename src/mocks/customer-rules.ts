import { customerAt, type MockCustomer } from './customer-data.ts';

/** Why a customer would be quarantined: the source field and what is wrong with it. */
export interface QuarantineReason {
  field: string;
  message: string;
}

/** Expected outcome of a whole data set, computed independently of any engine. */
export interface ExpectedCustomers {
  /** Records the source serves. */
  total: number;
  /** Records that break the flagship rules. */
  quarantined: number;
  /** Records that pass them (exact duplicates included). */
  valid: number;
  /** Valid records that repeat the record before them exactly. */
  duplicates: number;
  /** One entry per order the destination should end up holding, in source order. */
  distinctValidIds: string[];
}

/** The same plausibility check the order schema makes on contactEmail (applied after trimming). */
const PLAUSIBLE_EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** True when `email` (trimmed) looks like an address: something@something.tld, no spaces. */
export function isPlausibleEmail(email: unknown): boolean {
  return typeof email === 'string' && PLAUSIBLE_EMAIL.test(email.trim());
}

function isBlank(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (typeof value === 'number') return false;
  return typeof value !== 'string' || value.trim() === '';
}

/**
 * The flagship quarantine rules, written apart from the generator so tests check one against the other:
 * customer_id missing or empty; email missing or not plausible after trimming; the address or any of
 * street, city, state, zip missing or empty; both names empty. Returns no reasons for a valid record.
 */
export function quarantineReasons(customer: MockCustomer): QuarantineReason[] {
  const reasons: QuarantineReason[] = [];
  if (isBlank(customer.customer_id)) reasons.push({ field: 'customer_id', message: 'is missing or empty' });
  if (customer.email === undefined || customer.email === null)
    reasons.push({ field: 'email', message: 'is missing' });
  else if (!isPlausibleEmail(customer.email))
    reasons.push({ field: 'email', message: 'is not a plausible email address' });
  const address = customer.address;
  if (address === undefined || address === null || typeof address !== 'object') {
    reasons.push({ field: 'address', message: 'is missing' });
  } else {
    for (const field of ['street', 'city', 'state', 'zip'] as const) {
      if (isBlank(address[field]))
        reasons.push({ field: `address.${field}`, message: 'is missing or empty' });
    }
  }
  if (isBlank(customer.first_name) && isBlank(customer.last_name))
    reasons.push({ field: 'first_name,last_name', message: 'are both empty' });
  return reasons;
}

/** True when the flagship rules would quarantine `customer`. */
export function isQuarantined(customer: MockCustomer): boolean {
  return quarantineReasons(customer).length > 0;
}

/** Counts, duplicates and the distinct valid customer ids of the first `count` customers of `seed`. */
export function expectedCustomers(seed: number, count: number): ExpectedCustomers {
  let quarantined = 0;
  let duplicates = 0;
  const seen = new Set<string>();
  const distinctValidIds: string[] = [];
  for (let i = 0; i < count; i++) {
    const customer = customerAt(seed, i);
    if (isQuarantined(customer)) {
      quarantined++;
      continue;
    }
    const id = String(customer.customer_id).trim();
    if (seen.has(id)) {
      duplicates++;
      continue;
    }
    seen.add(id);
    distinctValidIds.push(id);
  }
  return { total: count, quarantined, valid: count - quarantined, duplicates, distinctValidIds };
}

/** How many of the first `count` customers of `seed` the flagship rules quarantine. */
export function expectedQuarantined(seed: number, count: number): number {
  return expectedCustomers(seed, count).quarantined;
}

/** The customer ids that should each become exactly one order, in source order. */
export function distinctValidCustomerIds(seed: number, count: number): string[] {
  return expectedCustomers(seed, count).distinctValidIds;
}
