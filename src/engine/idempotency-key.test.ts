import { describe, expect, it } from 'vitest';
import { idempotencyKeyFor } from './idempotency-key.ts';

describe('idempotencyKeyFor', () => {
  it('is a UUID-shaped SHA-256 of integration and key: stable, and distinct per integration', () => {
    const key = idempotencyKeyFor('customers-to-orders', 'C-1');
    expect(key).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(idempotencyKeyFor('customers-to-orders', 'C-1')).toBe(key);
    expect(idempotencyKeyFor('other', 'C-1')).not.toBe(key);
    expect(key.replaceAll('-', '')).toBe(EXPECTED);
  });
});

/** `printf 'customers-to-orders\\0C-1' | sha256sum`, first 32 hex digits: the key must never change. */
const EXPECTED = 'e28bc0d7f474833e843b7ec81dd5ef7f';
