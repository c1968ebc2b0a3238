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

  it('gives each key generation its own key, generation 0 being the key of old ferry versions', () => {
    const first = idempotencyKeyFor('customers-to-orders', 'C-1', 0);
    expect(first.replaceAll('-', '')).toBe(EXPECTED);
    const second = idempotencyKeyFor('customers-to-orders', 'C-1', 1);
    expect(second).not.toBe(first);
    expect(idempotencyKeyFor('customers-to-orders', 'C-1', 1)).toBe(second);
    expect(idempotencyKeyFor('customers-to-orders', 'C-1', 2)).not.toBe(second);
  });
});

/** `printf 'customers-to-orders\\0C-1' | sha256sum`, first 32 hex digits: the key must never change. */
const EXPECTED = 'e28bc0d7f474833e843b7ec81dd5ef7f';
