import { describe, expect, it } from 'vitest';
import { mayGiveNothing } from './may-give-nothing.ts';

describe('mayGiveNothing', () => {
  it('flags conditions without an else, bare record paths and blocks ending in one', () => {
    expect(mayGiveNothing('$type(email) = "string" ? $trim(email)')).toBe(true);
    expect(mayGiveNothing('address.city')).toBe(true);
    expect(mayGiveNothing('( $p := $trim(phone); $p != "" ? $p )')).toBe(true);
    expect(mayGiveNothing('x ? "a" : (y ? "b")')).toBe(true);
  });

  it('takes calls, operators, literals and complete conditions to give a value', () => {
    expect(mayGiveNothing('"ORD-" & $string(customer_id)')).toBe(false);
    expect(mayGiveNothing('$firstMappedAt')).toBe(false);
    expect(mayGiveNothing('$trim(first_name)')).toBe(false);
    expect(mayGiveNothing('x ? "a" : "b"')).toBe(false);
    expect(mayGiveNothing('(')).toBe(false);
  });
});
