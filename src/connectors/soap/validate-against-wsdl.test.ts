import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { connectorContext } from '../../../test/support/connector-context.ts';
import { validateAgainstWsdl } from './validate-against-wsdl.ts';

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

describe('validateAgainstWsdl', () => {
  it('accepts a mapping that writes every required element and nothing else', async () => {
    const problems = await validateAgainstWsdl(
      { wsdl: WSDL, operation: 'CreateOrder' },
      { fields: ORDER_FIELDS, optionalFields: ['Order.Customer.Phone'] },
      connectorContext(),
    );
    expect(problems).toEqual([]);
  });

  it('names unknown elements, missing required ones, optional required ones and bad samples', async () => {
    const fields = ORDER_FIELDS.filter((f) => f !== 'Order.ShipTo.Region').concat('Order.Customer.Mail');
    const problems = await validateAgainstWsdl(
      { wsdl: WSDL, operation: 'CreateOrder' },
      { fields, optionalFields: ['Order.Customer.Email'], samples: [{ Order: { OrderNumber: 'X' } }] },
      connectorContext(),
    );
    expect(problems.map((p) => p.path)).toEqual([
      'Order/Customer/Mail',
      'Order/Customer/Email',
      'Order/ShipTo/Region',
      'Order/OrderNumber',
      'Order/Customer',
      'Order/ShipTo',
      'Order/OrderDate',
    ]);
    expect(problems[0]?.message).toBe(
      'the mapping writes Order/Customer/Mail, which CustomerType does not have; it has CustomerNumber, FullName, Email, Phone',
    );
  });
});
