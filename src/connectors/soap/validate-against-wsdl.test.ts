import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { connectorContext } from '../../../test/support/connector-context.ts';
import type { MappingOutline } from '../spec.ts';
import { soapSink } from './sink-spec.ts';

const WSDL = fileURLToPath(new URL('../../../examples/schemas/erp-order-service.wsdl', import.meta.url));
const ORDER_FIELDS = [
  'Order.OrderNumber',
  'Order.Customer.CustomerNumber',
  'Order.Customer.FullName',
  'Order.Customer.Email',
  'Order.Customer.Phone',
  'Order.ShipTo.Street',
  'Order.ShipTo.City',
  'Order.ShipTo.Region',
  'Order.ShipTo.PostalCode',
  'Order.OrderDate',
];

function outline(fields: readonly string[], mayBeAbsent: readonly string[] = []): MappingOutline {
  return { fields: fields.map((path) => ({ path, mayBeAbsent: mayBeAbsent.includes(path) })) };
}

const check = (mapping: MappingOutline) =>
  soapSink.checkMapping?.(
    soapSink.options.parse({ wsdl: WSDL, operation: 'CreateOrder' }),
    mapping,
    connectorContext(),
  );

describe('checking a mapping against the SOAP destination WSDL', () => {
  it('accepts a mapping that writes every required element and nothing else', async () => {
    expect(await check(outline(ORDER_FIELDS, ['Order.Customer.Phone']))).toEqual([]);
  });

  it('names unknown elements and missing required ones as errors, optional required ones as notes', async () => {
    const fields = ORDER_FIELDS.filter((f) => f !== 'Order.ShipTo.Region').concat('Order.Customer.Mail');
    const problems = (await check(outline(fields, ['Order.Customer.Email']))) ?? [];
    expect(problems.map((p) => [p.severity, p.field])).toEqual([
      ['error', 'Order.Customer.Mail'],
      ['note', 'Order.Customer.Email'],
      ['error', 'Order.ShipTo'],
    ]);
    expect(problems[0]?.message).toBe(
      "CreateOrder's input has no element Order/Customer/Mail: CustomerType has CustomerNumber, FullName, Email, Phone",
    );
    expect(problems[2]?.message).toBe(
      'AddressType requires Region, and the mapping never writes Order/ShipTo/Region',
    );
  });

  it('says which operation is unknown, with the choices', async () => {
    await expect(
      soapSink.checkMapping?.(
        soapSink.options.parse({ wsdl: WSDL, operation: 'CreateOrdr' }),
        outline(ORDER_FIELDS),
        connectorContext(),
      ),
    ).rejects.toThrow(/destination\.operation/);
  });
});
