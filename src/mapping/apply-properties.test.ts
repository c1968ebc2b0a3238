import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadMapping } from './load-mapping.ts';
import type { CompiledMapping, MappingResult } from './mapping-types.ts';

const mappingFile = fileURLToPath(
  new URL('../../examples/customers-to-orders.mapping.yaml', import.meta.url),
);
const orderSchemaFile = fileURLToPath(new URL('../../examples/schemas/order.schema.json', import.meta.url));
const validateOrder = new Ajv2020({ allErrors: true }).compile(
  JSON.parse(readFileSync(orderSchemaFile, 'utf8')),
);
const bindings = { firstMappedAt: '2024-05-01T12:34:56Z' };

let mapping: CompiledMapping;
beforeAll(async () => {
  mapping = await loadMapping(mappingFile);
});

/** The contract every record must meet, however hostile: a defined result, never a throw. */
function expectWellFormed(result: MappingResult): void {
  if (result.ok) {
    expect(typeof result.key).toBe('string');
    expect(validateOrder(result.body), JSON.stringify(validateOrder.errors)).toBe(true);
  } else {
    expect(['input', 'mapping', 'output']).toContain(result.stage);
    expect(result.reasons.length).toBeGreaterThan(0);
    for (const reason of result.reasons) {
      expect(typeof reason.code).toBe('string');
      expect(typeof reason.message).toBe('string');
      expect(reason.message.length).toBeLessThan(2000);
    }
  }
}

function expectPrototypeClean(): void {
  const probe: Record<string, unknown> = {};
  expect(probe.polluted).toBeUndefined();
  expect(Object.getOwnPropertyNames(Object.prototype)).not.toContain('polluted');
}

/** Customer-shaped records whose every field may be valid, odd, missing or the wrong type. */
const loose = fc.oneof(
  fc.string(),
  fc.constantFrom('', ' ', '\t\n', '\u00a0', 'a@b.co', ' x@y.org ', 'Ådå', 'e\u0301', '🐉'),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string(), fc.string(), { maxKeys: 3 }),
);
/** Mostly plausible values, sometimes anything: enough of both paths to make the properties mean something. */
const mostly = <T>(valid: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 5, arbitrary: valid }, { weight: 1, arbitrary: loose });
const text = fc.string({ minLength: 1, maxLength: 40 });
const customerLike = fc.record(
  {
    customer_id: mostly(fc.oneof(fc.nat(), fc.stringMatching(/^[A-Za-z0-9-]{1,20}$/))),
    first_name: mostly(fc.oneof(text, fc.constant(null))),
    last_name: mostly(fc.oneof(text, fc.constant(null))),
    email: mostly(
      fc.oneof(
        fc.emailAddress(),
        fc.emailAddress().map((e) => ` ${e}\n`),
      ),
    ),
    phone: mostly(fc.oneof(text, fc.constant(null), fc.constant(''))),
    address: mostly(
      fc.record(
        {
          street: mostly(text),
          city: mostly(text),
          state: mostly(text),
          zip: mostly(fc.oneof(fc.nat(), text)),
        },
        { requiredKeys: ['street', 'city', 'state', 'zip'] },
      ),
    ),
    extra: fc.anything(),
  },
  { requiredKeys: ['customer_id', 'email', 'address'] },
);

/** Builds an object nested `depth` levels deep without recursion, as a hostile source might send. */
function deeplyNested(depth: number): unknown {
  let value: unknown = 'bottom';
  for (let i = 0; i < depth; i++) value = { a: value, 0: [value] };
  return value;
}

describe('apply() on random and hostile records', () => {
  it('never throws and always returns a valid order or reasons, for anything at all', async () => {
    await fc.assert(
      fc.asyncProperty(fc.anything({ withNullPrototype: true, withObjectString: true }), async (record) => {
        expectWellFormed(await mapping.apply(record, bindings));
      }),
      { numRuns: 300 },
    );
  });

  it('never throws and always returns a valid order or reasons, for customer-shaped records', async () => {
    let delivered = 0;
    let quarantined = 0;
    await fc.assert(
      fc.asyncProperty(customerLike, async (record) => {
        const result = await mapping.apply(record, bindings);
        expectWellFormed(result);
        if (result.ok) delivered += 1;
        else quarantined += 1;
      }),
      { numRuns: 500 },
    );
    // The generator must reach the success path too, or the property proves little about it.
    expect(delivered).toBeGreaterThan(0);
    expect(quarantined).toBeGreaterThan(0);
  });

  it('does not pollute Object.prototype through __proto__, constructor or prototype keys', async () => {
    const hostile = [
      '{"__proto__": {"polluted": "yes"}, "customer_id": 1, "email": "a@b.co", "first_name": "A", "address": {"street": "s", "city": "c", "state": "s", "zip": 1}}',
      '{"customer_id": "x", "address": {"__proto__": {"polluted": "yes"}, "street": "s", "city": "c", "state": "s", "zip": 1}, "email": "a@b.co", "last_name": "B"}',
      '{"constructor": {"prototype": {"polluted": "yes"}}, "customer_id": 2}',
      '{"__proto__": null}',
    ];
    for (const text of hostile) {
      const record: unknown = JSON.parse(text);
      expectWellFormed(await mapping.apply(record, bindings));
    }
    await fc.assert(
      fc.asyncProperty(
        fc.record({ customer_id: fc.oneof(fc.string(), fc.nat()) }),
        fc.jsonValue(),
        fc.constantFrom('__proto__', 'constructor', 'prototype'),
        async (base, payload, key) => {
          const record = JSON.parse(
            JSON.stringify({ ...base, [`k${key}`]: { polluted: payload } }).replace(
              `"k${key}"`,
              JSON.stringify(key),
            ),
          );
          expectWellFormed(await mapping.apply(record, bindings));
        },
      ),
      { numRuns: 200 },
    );
    expectPrototypeClean();
  });

  it('handles deep nesting anywhere in a record', async () => {
    const deep = deeplyNested(5000);
    for (const record of [
      deep,
      { customer_id: deep, email: deep, first_name: deep, address: deep },
      {
        customer_id: 1,
        email: 'a@b.co',
        first_name: 'A',
        address: { street: 's', city: 'c', state: 's', zip: 1 },
        extra: deep,
      },
    ]) {
      expectWellFormed(await mapping.apply(record, bindings));
    }
  });

  it('handles huge strings in every field', async () => {
    const huge = 'x'.repeat(5_000_000);
    const spaces = ' '.repeat(5_000_000);
    const record = {
      customer_id: huge,
      first_name: huge,
      last_name: spaces,
      email: `${huge}@${huge}.com`,
      phone: spaces,
      address: { street: huge, city: huge, state: huge, zip: huge },
    };
    const result = await mapping.apply(record, bindings);
    expectWellFormed(result);
    expect(result).toMatchObject({ ok: false, stage: 'input' });
  });

  it('quarantines records that are not objects, with a reason', async () => {
    for (const record of [null, undefined, 0, 'customer', true, [], [{ customer_id: 1 }], () => 1]) {
      const result = await mapping.apply(record, bindings);
      expect(result.ok).toBe(false);
      expectWellFormed(result);
    }
  });
});
