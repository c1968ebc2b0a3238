import { createRandom, hashSeed, pick, type Random } from './prng.ts';

/** A customer as the mock source serves it: the seed's shape, with the dirt real CRMs have. */
export interface MockCustomer {
  customer_id?: string | number;
  first_name?: string;
  last_name?: string;
  email?: string;
  address?: MockAddress;
  phone?: string | null;
  /** RFC 3339 UTC: when the customer last changed (the seeded set counts as written at SEEDED_FROM). */
  updated_at?: string;
  /** RFC 3339 UTC: set when the customer was deleted (soft delete: it is still listed). */
  deleted_at?: string;
  [extra: string]: unknown;
}

/** When the seeded data set starts: customer i was last updated at SEEDED_FROM + floor(i / 3) seconds. */
export const SEEDED_FROM_MS = Date.UTC(2025, 0, 1);

/**
 * When seeded customer `index` was last updated: three customers a second, in index order, so ties on
 * updated_at exist and are broken by position.
 */
export function seededUpdatedAtMs(index: number): number {
  return SEEDED_FROM_MS + Math.floor(index / 3) * 1000;
}

/** A customer's address; zip may arrive as a number. */
export interface MockAddress {
  street?: string;
  city?: string;
  state?: string;
  zip?: string | number;
}

/** The kinds of dirt the generator puts into records; `null` from dirtAt() means a clean record. */
export type DirtKind =
  | 'customer_id_missing'
  | 'customer_id_empty'
  | 'email_missing'
  | 'email_implausible'
  | 'address_missing'
  | 'address_field_empty'
  | 'names_empty'
  | 'email_whitespace'
  | 'name_missing'
  | 'name_messy'
  | 'customer_id_numeric'
  | 'zip_numeric'
  | 'phone_absent'
  | 'extra_fields'
  | 'duplicate';

/** Dirt kinds that make a record invalid under the flagship rules (quarantined, never sent). */
export const INVALID_DIRT: ReadonlySet<DirtKind> = new Set<DirtKind>([
  'customer_id_missing',
  'customer_id_empty',
  'email_missing',
  'email_implausible',
  'address_missing',
  'address_field_empty',
  'names_empty',
]);

const BASE_DIRT: readonly DirtKind[] = [
  ...INVALID_DIRT,
  'email_whitespace',
  'name_missing',
  'name_messy',
  'customer_id_numeric',
  'zip_numeric',
  'phone_absent',
  'extra_fields',
];

/** Share of records drawn dirty before duplicates are added (duplicates bring the total to about 7%). */
const DIRT_RATE = 0.068;
/** Share of records drawn as candidates to repeat the record before them exactly. */
const DUPLICATE_RATE = 0.005;

const FIRST = [
  ['John', 'john'],
  ['Jane', 'jane'],
  ['Maria', 'maria'],
  ['Zoë', 'zoe'],
  ['Øyvind', 'oyvind'],
  ['李', 'li'],
  ['José', 'jose'],
  ['Aiko', 'aiko'],
  ['François', 'francois'],
  ['Priya', 'priya'],
  ['Liam', 'liam'],
  ['Emma', 'emma'],
  ['Noah', 'noah'],
  ['Olivia', 'olivia'],
  ['Søren', 'soren'],
  ['Fatima', 'fatima'],
] as const;
const LAST = [
  ['Doe', 'doe'],
  ['Smith', 'smith'],
  ['García', 'garcia'],
  ['Müller', 'muller'],
  ['Nguyen', 'nguyen'],
  ['王', 'wang'],
  ["O'Brien", 'obrien'],
  ['Kowalski', 'kowalski'],
  ['Johansson', 'johansson'],
  ['Silva', 'silva'],
  ['Rossi', 'rossi'],
  ['Kim', 'kim'],
  ['Patel', 'patel'],
  ['Dubois', 'dubois'],
  ['Novák', 'novak'],
] as const;
const STREETS = [
  'Main St',
  'Oak Ave',
  'Pine Rd',
  'Maple Dr',
  'Cedar Ln',
  'Elm St',
  'Lake View Blvd',
  'Hill Ct',
];
const CITIES = [
  ['Anytown', 'CA'],
  ['Springfield', 'IL'],
  ['Portland', 'OR'],
  ['Austin', 'TX'],
  ['Albany', 'NY'],
  ['Boulder', 'CO'],
  ['Madison', 'WI'],
  ['Tampa', 'FL'],
] as const;
const DOMAINS = ['example.com', 'example.org', 'mail.example.net'];
const MESSY_FIRST = ['  Zoë   Anne ', 'Øyvind  ', ' 李  小龍', 'Mary  Jo'];
const MESSY_LAST = ['  van  der   Berg', '王 ', 'Ødegård  ', ' de la  Cruz '];

function isDuplicateCandidate(seed: number, index: number): boolean {
  return createRandom(hashSeed(seed, index) ^ 0x5bd1e995)() < DUPLICATE_RATE;
}

/** The dirt drawn for record `index` before duplicates are considered. */
function baseDirtAt(seed: number, index: number): DirtKind | null {
  const random = createRandom(hashSeed(seed, index) ^ 0x27d4eb2f);
  return random() < DIRT_RATE ? pick(random, BASE_DIRT) : null;
}

/**
 * Whether record `index` repeats record `index - 1` exactly. Only a valid record is repeated, and never a
 * repeat itself, so the expected outcome of every record stays unambiguous.
 */
function isDuplicateAt(seed: number, index: number): boolean {
  if (index === 0 || !isDuplicateCandidate(seed, index) || isDuplicateCandidate(seed, index - 1))
    return false;
  const previous = baseDirtAt(seed, index - 1);
  return previous === null || !INVALID_DIRT.has(previous);
}

/** The dirt in record `index` of the data set `seed`, or null for a clean record. */
export function dirtAt(seed: number, index: number): DirtKind | null {
  return isDuplicateAt(seed, index) ? 'duplicate' : baseDirtAt(seed, index);
}

/** A clean customer with id `index + 1`, drawn from `random`; `tag` makes its email unique per version. */
export function freshCustomer(random: Random, index: number, updatedAtMs: number, tag = ''): MockCustomer {
  const [first, firstSlug] = pick(random, FIRST);
  const [last, lastSlug] = pick(random, LAST);
  const [city, state] = pick(random, CITIES);
  const house = 1 + Math.floor(random() * 9998);
  const zip = 10000 + Math.floor(random() * 89999);
  const phone = `555-${100 + Math.floor(random() * 900)}-${1000 + Math.floor(random() * 9000)}`;
  return {
    customer_id: String(index + 1),
    first_name: first,
    last_name: last,
    email: `${firstSlug}.${lastSlug}${index + 1}${tag}@${pick(random, DOMAINS)}`,
    address: { street: `${house} ${pick(random, STREETS)}`, city, state, zip: String(zip) },
    phone,
    updated_at: new Date(updatedAtMs).toISOString(),
  };
}

function baseCustomer(seed: number, index: number): MockCustomer {
  const customer = freshCustomer(createRandom(hashSeed(seed, index)), index, seededUpdatedAtMs(index));
  const dirt = baseDirtAt(seed, index);
  if (dirt !== null) applyDirt(customer, dirt, createRandom(hashSeed(seed, index) ^ 0x165667b1));
  return customer;
}

function applyDirt(c: MockCustomer, dirt: DirtKind, random: Random): void {
  const address = c.address as MockAddress;
  switch (dirt) {
    case 'customer_id_missing':
      delete c.customer_id;
      return;
    case 'customer_id_empty':
      c.customer_id = '';
      return;
    case 'email_missing':
      delete c.email;
      return;
    case 'email_implausible':
      c.email = pick(random, ['john.at.example.com', 'a@b', 'jane doe@example.com', '@example.com', 'x@']);
      return;
    case 'address_missing':
      delete c.address;
      return;
    case 'address_field_empty': {
      const field = pick(random, ['street', 'city', 'state', 'zip'] as const);
      if (random() < 0.5) address[field] = '';
      else delete address[field];
      return;
    }
    case 'names_empty':
      c.first_name = pick(random, ['', '   ']);
      if (random() < 0.5) delete c.last_name;
      else c.last_name = pick(random, ['', ' \t ']);
      return;
    case 'email_whitespace':
      c.email = `  ${c.email} `;
      return;
    case 'name_missing':
      if (random() < 0.5) delete c.first_name;
      else c.last_name = '';
      return;
    case 'name_messy':
      c.first_name = pick(random, MESSY_FIRST);
      c.last_name = pick(random, MESSY_LAST);
      return;
    case 'customer_id_numeric':
      c.customer_id = Number(c.customer_id);
      return;
    case 'zip_numeric':
      address.zip = Number(address.zip);
      return;
    case 'phone_absent': {
      const form = Math.floor(random() * 3);
      if (form === 0) c.phone = null;
      else if (form === 1) c.phone = '';
      else delete c.phone;
      return;
    }
    case 'extra_fields':
      c.loyalty_tier = pick(random, ['gold', 'silver', 'bronze']);
      c._internal = { score: Math.floor(random() * 100), synced: true };
      return;
    case 'duplicate':
      return;
  }
}

/**
 * Customer `index` (0-based) of the data set `seed`, computed on demand from (seed, index) alone, so a
 * million customers cost no memory. Its id is `String(index + 1)` unless dirt removed or retyped it.
 */
export function customerAt(seed: number, index: number): MockCustomer {
  return baseCustomer(seed, isDuplicateAt(seed, index) ? index - 1 : index);
}
