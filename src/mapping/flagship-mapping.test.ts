import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadMapping } from './load-mapping.ts';
import type { CompiledMapping, MappingResult } from './mapping-types.ts';

const mappingFile = fileURLToPath(
  new URL('../../examples/customers-to-orders.mapping.yaml', import.meta.url),
);
const orderSchemaFile = fileURLToPath(new URL('../../examples/schemas/order.schema.json', import.meta.url));
const bindings = { firstMappedAt: '2024-05-01T12:34:56Z' };

/** A customer that maps cleanly; each test changes one thing. */
function customer(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    customer_id: 'C-1001',
    first_name: 'Ada',
    last_name: 'Lovelace',
    email: 'ada@example.com',
    phone: '+44 20 7946 0018',
    address: { street: '12 St James Sq', city: 'London', state: 'LDN', zip: 'SW1Y 4JH' },
    ...overrides,
  };
}

function withAddress(overrides: Record<string, unknown>): Record<string, unknown> {
  return customer({ address: { ...(customer().address as object), ...overrides } });
}

let mapping: CompiledMapping;
// An independent validator, so the test does not trust the mapping's own output check.
const validateOrder = new Ajv2020({ allErrors: true }).compile(
  JSON.parse(readFileSync(orderSchemaFile, 'utf8')),
);

beforeAll(async () => {
  mapping = await loadMapping(mappingFile);
});

async function mapOk(record: unknown): Promise<Record<string, unknown>> {
  const result = await mapping.apply(record, bindings);
  if (!result.ok) throw new Error(`expected ok, got ${JSON.stringify(result)}`);
  return result.body;
}

async function mapFail(record: unknown): Promise<Extract<MappingResult, { ok: false }>> {
  const result = await mapping.apply(record, bindings);
  if (result.ok) throw new Error(`expected a quarantine, got ${JSON.stringify(result)}`);
  return result;
}

const fieldsOf = (result: Extract<MappingResult, { ok: false }>) => result.reasons.map((r) => r.field).sort();
const customerInfo = (body: Record<string, unknown>) => body.customerInfo as Record<string, unknown>;
const shipping = (body: Record<string, unknown>) => body.shippingAddress as Record<string, unknown>;

describe('the flagship customers-to-orders mapping', () => {
  it('maps a complete customer to the order shape the destination accepts', async () => {
    const body = await mapOk(customer());
    expect(body).toEqual({
      orderId: 'ORD-C-1001',
      customerInfo: {
        id: 'C-1001',
        name: 'Ada Lovelace',
        contactEmail: 'ada@example.com',
        contactPhone: '+44 20 7946 0018',
      },
      shippingAddress: { line1: '12 St James Sq', city: 'London', region: 'LDN', postalCode: 'SW1Y 4JH' },
      orderDate: '2024-05-01T12:34:56Z',
    });
    expect(validateOrder(body)).toBe(true);
  });

  it('turns a numeric customer_id into ORD-<id>, a string customerInfo.id and a string key', async () => {
    const result = await mapping.apply(customer({ customer_id: 4711 }), bindings);
    expect(result).toMatchObject({
      ok: true,
      key: '4711',
      body: { orderId: 'ORD-4711', customerInfo: { id: '4711' } },
    });
  });

  it('turns a numeric zip into a string postalCode', async () => {
    expect(shipping(await mapOk(withAddress({ zip: 94016 })))).toMatchObject({ postalCode: '94016' });
  });

  it('trims names and collapses inner whitespace, including tabs, newlines and no-break spaces', async () => {
    const body = await mapOk(
      customer({ first_name: '  Mary\t\n Ann\u00a0 ', last_name: '\u3000van   der Berg ' }),
    );
    expect(customerInfo(body).name).toBe('Mary Ann van der Berg');
  });

  it('keeps Unicode names exactly as sent, without normalising them', async () => {
    const decomposed = 'Jose\u0301'; // NFD: e + combining acute; NFC would change it to \u00e9
    const body = await mapOk(customer({ first_name: decomposed, last_name: '李小龍 🐉' }));
    expect(customerInfo(body).name).toBe(`${decomposed} 李小龍 🐉`);
    expect(customerInfo(body).name).not.toBe(`${decomposed} 李小龍 🐉`.normalize('NFC'));
  });

  it.each([
    ['missing', undefined],
    ['null', null],
    ['empty', ''],
    ['blank', '   '],
  ])('uses only the last name when the first name is %s', async (_label, first) => {
    const record = customer({ first_name: first });
    if (first === undefined) delete record.first_name;
    expect(customerInfo(await mapOk(record)).name).toBe('Lovelace');
  });

  it('uses only the first name when the last name is missing', async () => {
    const record = customer();
    delete record.last_name;
    expect(customerInfo(await mapOk(record)).name).toBe('Ada');
  });

  it.each([
    ['both empty', { first_name: '', last_name: '' }],
    ['both blank', { first_name: ' \t', last_name: '\u00a0' }],
    ['both null', { first_name: null, last_name: null }],
  ])('quarantines a customer whose names are %s, naming both fields', async (_label, names) => {
    const result = await mapFail(customer(names));
    expect(result.stage).toBe('input');
    expect(result.reasons).toEqual([
      { field: 'first_name', code: 'name_required', message: expect.stringContaining('first_name') },
      { field: 'last_name', code: 'name_required', message: expect.stringContaining('last_name') },
    ]);
  });

  it('quarantines a customer with no name fields at all', async () => {
    const record = customer();
    delete record.first_name;
    delete record.last_name;
    expect(fieldsOf(await mapFail(record))).toEqual(['first_name', 'last_name']);
  });

  it('trims the email', async () => {
    expect(customerInfo(await mapOk(customer({ email: ' \tada@example.com\u00a0\n' }))).contactEmail).toBe(
      'ada@example.com',
    );
  });

  it.each([
    '',
    '   ',
    'ada',
    'ada@example',
    '@example.com',
    'ada@',
    'ada@@example.com',
    'ada lovelace@example.com',
    'ada@.com',
    'ada@example..com',
    'ada@example.com.',
    42,
    null,
  ])('quarantines the implausible email %j, naming email', async (email) => {
    const result = await mapFail(customer({ email }));
    expect(result.stage).toBe('input');
    expect(result.reasons).toEqual([
      { field: 'email', code: expect.any(String), message: expect.stringContaining('email address') },
    ]);
  });

  it('quarantines a customer without an email, saying it is missing', async () => {
    const record = customer();
    delete record.email;
    expect((await mapFail(record)).reasons).toEqual([
      { field: 'email', code: 'required', message: 'is missing; must be a plausible email address' },
    ]);
  });

  it.each([
    ['missing', undefined],
    ['null', null],
    ['a string', '12 St James Sq'],
  ])('quarantines a customer whose address is %s, naming address', async (_label, address) => {
    const record = customer({ address });
    if (address === undefined) delete record.address;
    expect(fieldsOf(await mapFail(record))).toEqual(['address']);
  });

  it.each(['street', 'city', 'state', 'zip'])(
    'quarantines a customer whose address.%s is empty',
    async (field) => {
      const result = await mapFail(withAddress({ [field]: '' }));
      expect(result.reasons).toEqual([
        { field: `address.${field}`, code: 'empty', message: expect.stringContaining('non-empty') },
      ]);
    },
  );

  it.each(['street', 'city', 'state', 'zip'])(
    'quarantines a customer whose address.%s is blank',
    async (field) => {
      expect(fieldsOf(await mapFail(withAddress({ [field]: '  ' })))).toEqual([`address.${field}`]);
    },
  );

  it.each(['street', 'city', 'state', 'zip'])(
    'quarantines a customer whose address.%s is missing',
    async (field) => {
      const record = withAddress({});
      delete (record.address as Record<string, unknown>)[field];
      const result = await mapFail(record);
      expect(result.reasons).toEqual([
        { field: `address.${field}`, code: 'required', message: expect.stringContaining('is missing') },
      ]);
    },
  );

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['blank', '   '],
    ['null', null],
  ])('quarantines a customer whose customer_id is %s, naming customer_id', async (_label, id) => {
    const record = customer({ customer_id: id });
    if (id === undefined) delete record.customer_id;
    const result = await mapFail(record);
    expect(result.key).toBeNull();
    expect(result.reasons.map((r) => r.field)).toEqual(['customer_id']);
  });

  it.each([
    ['missing', undefined],
    ['null', null],
    ['empty', ''],
    ['blank', ' \t '],
  ])('leaves contactPhone out when the phone is %s', async (_label, phone) => {
    const record = customer({ phone });
    if (phone === undefined) delete record.phone;
    const body = await mapOk(record);
    expect(customerInfo(body)).not.toHaveProperty('contactPhone');
    expect(validateOrder(body)).toBe(true);
  });

  it('trims the phone', async () => {
    expect(customerInfo(await mapOk(customer({ phone: '  555-0100\n' }))).contactPhone).toBe('555-0100');
  });

  it('ignores fields it does not know', async () => {
    const body = await mapOk(customer({ loyalty: { tier: 'gold' }, tags: ['a'], __internal: true }));
    expect(body).toEqual(await mapOk(customer()));
  });

  it('sets orderDate to the $firstMappedAt binding the engine supplies', async () => {
    const result = await mapping.apply(customer(), { firstMappedAt: '2020-02-29T23:59:59Z' });
    expect(result).toMatchObject({ ok: true, body: { orderDate: '2020-02-29T23:59:59Z' } });
  });

  it('reports every problem of a record at once', async () => {
    const result = await mapFail({
      customer_id: 7,
      first_name: '',
      email: 'nope',
      address: { street: '', city: 'X', state: 'Y' },
    });
    expect(fieldsOf(result)).toEqual(['address.street', 'address.zip', 'email', 'first_name', 'last_name']);
  });

  it('catches in the output stage what the input schema cannot say, such as a name too long once joined', async () => {
    const long = 'x'.repeat(300);
    const result = await mapFail(customer({ first_name: long, last_name: long }));
    expect(result).toMatchObject({
      stage: 'output',
      reasons: [{ field: 'customerInfo.name', code: 'too_long' }],
    });
  });

  it('gives the key alone through keyOf', async () => {
    expect(await mapping.keyOf(customer({ customer_id: 12 }))).toEqual({ ok: true, key: '12' });
    expect(await mapping.keyOf({})).toMatchObject({
      ok: false,
      key: null,
      reason: { field: 'customer_id', code: 'key_missing' },
    });
  });

  it('produces bodies that pass the destination schema for every valid variation above', async () => {
    for (const record of [
      customer({ customer_id: 1 }),
      withAddress({ zip: 0 }),
      customer({ phone: null, last_name: null }),
    ]) {
      expect(validateOrder(await mapOk(record))).toBe(true);
    }
  });
});
