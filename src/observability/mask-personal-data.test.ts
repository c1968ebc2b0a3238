import { describe, expect, it } from 'vitest';
import { maskPersonalFields } from './mask-personal-data.ts';

describe('maskPersonalFields', () => {
  it('masks names, street lines, postal codes, emails and phones, keeping ids, cities and dates', () => {
    const customer = {
      customer_id: 4711,
      first_name: 'Ada',
      last_name: 'Lovelace Byron',
      email: 'ada@example.com',
      phone: '+44 20 7946 0958',
      address: { street: '12 St James Sq', city: 'London', zip: 12345, state: 'LDN' },
      updated_at: '2025-01-01T00:00:00Z',
    };
    expect(maskPersonalFields(customer)).toEqual({
      customer_id: 4711,
      first_name: 'A***',
      last_name: 'L*** B***',
      email: 'a***@example.com',
      phone: '***-0958',
      address: { street: '1*** S*** J*** S***', city: 'London', zip: '***', state: 'LDN' },
      updated_at: '2025-01-01T00:00:00Z',
    });
  });

  it('keeps a "__proto__" key as a key, not the prototype', () => {
    const masked = maskPersonalFields(JSON.parse('{"__proto__": {"name": "Eve"}}'));
    expect(Object.getPrototypeOf(masked)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(masked, '__proto__')?.value).toEqual({ name: 'E***' });
  });
});
