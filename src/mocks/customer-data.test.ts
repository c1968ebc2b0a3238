import { describe, expect, it } from 'vitest';
import { customerAt, type DirtKind, dirtAt, INVALID_DIRT } from './customer-data.ts';
import {
  distinctValidCustomerIds,
  expectedCustomers,
  expectedQuarantined,
  isPlausibleEmail,
  quarantineReasons,
} from './customer-rules.ts';

const N = 20_000;

describe('the seeded customer data set', () => {
  it('computes the same customer from the same seed and index, and another one from another seed', () => {
    expect(customerAt(42, 1234)).toEqual(customerAt(42, 1234));
    expect(JSON.stringify(customerAt(42, 1234))).toBe(JSON.stringify(customerAt(42, 1234)));
    const a = Array.from({ length: 50 }, (_, i) => JSON.stringify(customerAt(1, i)));
    const b = Array.from({ length: 50 }, (_, i) => JSON.stringify(customerAt(2, i)));
    expect(a).not.toEqual(b);
  });

  it('serves clean customers in the seed shape with string ids that follow the index', () => {
    const clean = Array.from({ length: 200 }, (_, i) => i).find((i) => dirtAt(42, i) === null) as number;
    const customer = customerAt(42, clean);
    expect(Object.keys(customer)).toEqual([
      'customer_id',
      'first_name',
      'last_name',
      'email',
      'address',
      'phone',
      'updated_at',
    ]);
    expect(customer.customer_id).toBe(String(clean + 1));
    expect(customer.updated_at).toBe(
      new Date(Date.UTC(2025, 0, 1) + Math.floor(clean / 3) * 1000).toISOString(),
    );
    expect(Object.keys(customer.address ?? {})).toEqual(['street', 'city', 'state', 'zip']);
    expect(quarantineReasons(customer)).toEqual([]);
  });

  it('puts dirt into 6 to 8 percent of the records, every kind of it', () => {
    const seen = new Map<DirtKind, number>();
    let dirty = 0;
    for (let i = 0; i < N; i++) {
      const dirt = dirtAt(7, i);
      if (dirt === null) continue;
      dirty++;
      seen.set(dirt, (seen.get(dirt) ?? 0) + 1);
    }
    expect(dirty / N).toBeGreaterThanOrEqual(0.06);
    expect(dirty / N).toBeLessThanOrEqual(0.08);
    expect(seen.size).toBe(15);
  });

  it('quarantines exactly the records with invalid dirt, judged by the rules alone', () => {
    for (let i = 0; i < N; i++) {
      const dirt = dirtAt(42, i);
      const invalid = dirt !== null && INVALID_DIRT.has(dirt);
      expect({ i, dirt, quarantined: quarantineReasons(customerAt(42, i)).length > 0 }).toEqual({
        i,
        dirt,
        quarantined: invalid,
      });
    }
  });

  it('repeats only valid records, as exact copies of the record before', () => {
    let duplicates = 0;
    for (let i = 1; i < N; i++) {
      if (dirtAt(42, i) !== 'duplicate') continue;
      duplicates++;
      expect(customerAt(42, i)).toEqual(customerAt(42, i - 1));
      expect(quarantineReasons(customerAt(42, i))).toEqual([]);
    }
    expect(duplicates).toBeGreaterThan(0);
  });

  it('counts the expected outcome consistently: each valid id once, duplicates apart', () => {
    const expected = expectedCustomers(42, N);
    expect(expected.quarantined).toBe(expectedQuarantined(42, N));
    expect(expected.quarantined + expected.valid).toBe(N);
    expect(new Set(expected.distinctValidIds).size).toBe(expected.distinctValidIds.length);
    expect(expected.distinctValidIds.length).toBe(expected.valid - expected.duplicates);
    expect(distinctValidCustomerIds(42, N)).toEqual(expected.distinctValidIds);
    expect(expected.quarantined / N).toBeGreaterThan(0.02);
  });

  it('applies each rule on its own: trimming, numbers as strings, one name enough, both names empty not', () => {
    const base = customerAt(42, 0);
    expect(quarantineReasons({ ...base, email: '  john.doe@example.com ' })).toEqual([]);
    expect(
      quarantineReasons({ ...base, customer_id: 123, address: { ...base.address, zip: 12345 } }),
    ).toEqual([]);
    const { first_name: _dropped, ...noFirstName } = base;
    expect(quarantineReasons({ ...noFirstName, phone: null, extra: 1 })).toEqual([]);
    expect(quarantineReasons({ ...base, first_name: ' ', last_name: '' }).map((r) => r.field)).toEqual([
      'first_name,last_name',
    ]);
    expect(quarantineReasons({ ...base, customer_id: '' }).map((r) => r.field)).toEqual(['customer_id']);
    expect(
      quarantineReasons({ ...base, address: { ...base.address, city: '' } }).map((r) => r.field),
    ).toEqual(['address.city']);
    expect(isPlausibleEmail('john.at.example.com')).toBe(false);
    expect(isPlausibleEmail('a@b')).toBe(false);
    expect(isPlausibleEmail('zoe.li@example.org')).toBe(true);
  });
});
