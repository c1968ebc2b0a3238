import { describe, expect, it } from 'vitest';
import { bodyHash } from './body-hash.ts';

describe('bodyHash', () => {
  it('is stable for the same body and differs for another', () => {
    const body = JSON.stringify({ orderId: 'ORD-1', total: 10 });
    expect(bodyHash(body)).toBe(bodyHash(body));
    expect(bodyHash(body)).not.toBe(bodyHash(JSON.stringify({ orderId: 'ORD-1', total: 11 })));
    expect(bodyHash(body)).toMatch(/^[0-9a-f]{32}$/);
  });
});
