import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { toJsonValue } from './to-json-value.ts';

describe('toJsonValue', () => {
  it('copies any JSON value into an equal value that shares no object or array with it', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const result = toJsonValue(value);
        expect(result).toEqual({ ok: true, value });
        if (result.ok && typeof value === 'object' && value !== null) expect(result.value).not.toBe(value);
      }),
    );
  });

  it('drops the sequence flag JSONata sets on its arrays', () => {
    const sequence = Object.assign(['a', 'b'], { sequence: true });
    const result = toJsonValue({ list: sequence });
    expect(result.ok && JSON.stringify(result.value)).toBe('{"list":["a","b"]}');
    expect(result.ok && Object.keys((result.value as { list: unknown[] }).list)).toEqual(['0', '1']);
  });

  it('keeps a "__proto__" key as an own property and leaves the prototype alone', () => {
    const value = JSON.parse('{"a": {"__proto__": {"polluted": "yes"}, "b": 1}}') as unknown;
    const result = toJsonValue(value);
    if (!result.ok) throw new Error('expected a copy');
    const inner = (result.value as { a: Record<string, unknown> }).a;
    expect(Object.getPrototypeOf(inner)).toBe(Object.prototype);
    expect(Object.keys(inner)).toEqual(['__proto__', 'b']);
    expect(Object.getOwnPropertyDescriptor(inner, '__proto__')?.value).toEqual({ polluted: 'yes' });
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('leaves out object members whose value is undefined', () => {
    expect(toJsonValue({ a: 1, b: undefined })).toEqual({ ok: true, value: { a: 1 } });
  });

  it('names the path of a value that is not JSON, through objects and arrays', () => {
    expect(toJsonValue({ a: { b: [1, 2, { c: Number.NaN }] } })).toEqual({
      ok: false,
      error: { path: 'a.b[2].c', problem: 'is not a finite number' },
    });
    expect(toJsonValue([0, { x: () => 1 }])).toEqual({
      ok: false,
      error: { path: '[1].x', problem: 'is a function, not a value' },
    });
    expect(toJsonValue(Number.POSITIVE_INFINITY)).toEqual({
      ok: false,
      error: { path: '', problem: 'is not a finite number' },
    });
  });

  it('refuses JSONata function values, class instances, bigints and nesting past 64 levels', () => {
    expect(toJsonValue({ f: { _jsonata_lambda: true } })).toMatchObject({
      ok: false,
      error: { path: 'f', problem: 'is a function, not a value' },
    });
    expect(toJsonValue({ d: new Date(0) })).toMatchObject({
      ok: false,
      error: { path: 'd', problem: 'is not a plain object' },
    });
    expect(toJsonValue({ n: 1n })).toMatchObject({ ok: false, error: { path: 'n', problem: 'is a bigint' } });
    let deep: unknown = 1;
    for (let i = 0; i < 70; i++) deep = [deep];
    const result = toJsonValue(deep);
    expect(result).toMatchObject({ ok: false, error: { problem: 'nests deeper than 64 levels' } });
    expect(!result.ok && result.error.path).toBe('[0]'.repeat(64));
  });
});
