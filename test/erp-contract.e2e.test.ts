// The ERP OrderService contract, checked against two independent implementations: ferry's mock
// (src/mocks/erp/) and one on the `soap` package's server (test/support/soap-package-erp.ts). The same
// requests, hand-built or built by a third-party client from each server's WSDL, must get the same answers.
import * as soap from 'soap';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ErpOperation } from '../src/mocks/erp/erp-wsdl.ts';
import { type MockErpHandle, startMockErp } from '../src/mocks/erp/mock-erp.ts';
import {
  createOrderEnvelope,
  getOrderEnvelope,
  orderElement,
  type SoapOutcome,
  sampleOrder,
  soapHeaders,
  soapOutcome,
  type TestToken,
} from './support/erp-envelopes.ts';
import { type SoapPackageErp, startSoapPackageErp } from './support/soap-package-erp.ts';

let ours: MockErpHandle;
let theirs: SoapPackageErp;
let text: TestToken;

beforeAll(async () => {
  theirs = await startSoapPackageErp();
  ours = await startMockErp({ username: theirs.username, password: theirs.password });
  text = { username: theirs.username, password: theirs.password, type: 'text' };
});
afterAll(async () => {
  await Promise.all([ours?.close(), theirs?.close()]);
});

/** The answer's substance: server-specific ERP references and the spelling of equal instants left out. */
function normalise(outcome: SoapOutcome): SoapOutcome {
  const values = outcome.values?.map((value) => {
    const [name, ...rest] = value.split('=');
    const text = rest.join('=');
    if (name?.endsWith('ErpReference')) return `${name}=<reference>`;
    if (name?.endsWith('OrderDate')) return `${name}=${new Date(text).toISOString()}`;
    return value;
  });
  return values === undefined ? outcome : { ...outcome, values };
}

async function post(url: string, operation: ErpOperation, body: string): Promise<SoapOutcome> {
  const response = await fetch(url, { method: 'POST', headers: soapHeaders(operation), body });
  return normalise(soapOutcome(response.status, await response.text()));
}

describe('the ERP contract on two independent servers', () => {
  it('answers the same hand-built requests the same way', async () => {
    const invalid = orderElement(sampleOrder('ORD 7'))
      .replace(/<o:Email>[^<]*<\/o:Email>/, '')
      .replace(/<o:OrderDate>[^<]*</, '<o:OrderDate>yesterday<');
    const script: [string, ErpOperation, () => string][] = [
      ['create', 'CreateOrder', () => createOrderEnvelope(sampleOrder('ORD-A1'), text)],
      [
        'create without Phone',
        'CreateOrder',
        () => {
          const { phone: _phone, ...customer } = sampleOrder().customer;
          return createOrderEnvelope({ ...sampleOrder('ORD-A2'), customer }, text);
        },
      ],
      ['duplicate', 'CreateOrder', () => createOrderEnvelope(sampleOrder('ORD-A1'), text)],
      ['get', 'GetOrder', () => getOrderEnvelope('ORD-A1', text)],
      ['get without Phone', 'GetOrder', () => getOrderEnvelope('ORD-A2', text)],
      ['get unknown', 'GetOrder', () => getOrderEnvelope('ORD-nowhere', text)],
      ['invalid fields', 'CreateOrder', () => createOrderEnvelope(invalid, text)],
      ['invalid OrderNumber', 'GetOrder', () => getOrderEnvelope('12345', text)],
      [
        'wrong password',
        'CreateOrder',
        () => createOrderEnvelope(sampleOrder('ORD-A3'), { ...text, password: 'no' }),
      ],
    ];
    for (const [step, operation, body] of script) {
      const [a, b] = [await post(ours.url, operation, body()), await post(theirs.url, operation, body())];
      expect({ step, outcome: a }).toEqual({ step, outcome: b });
    }
    const invalidOutcome = await post(ours.url, 'CreateOrder', createOrderEnvelope(invalid, text));
    expect(invalidOutcome.fault?.fields.sort()).toEqual([
      'Order/Customer/Email',
      'Order/OrderDate',
      'Order/OrderNumber',
    ]);
    expect(ours.orders().map((stored) => stored.order.orderNumber)).toEqual(theirs.orderNumbers());
    expect(ours.stats()).toMatchObject({ ordersStored: 2, duplicates: 0, duplicatesRefused: 1 });
  });

  it('gives a soap package client built from either WSDL the same results', async () => {
    const order = {
      Order: {
        OrderNumber: 'ORD-C1',
        Customer: { CustomerNumber: 'C-9', FullName: 'Ana & <Bo> "Ö" 🚢', Email: 'ana@example.com' },
        ShipTo: { Street: '2 Dock Rd', City: 'Leith', Region: 'Lothian', PostalCode: 'EH6 6' },
        OrderDate: '2026-12-03T09:00:00Z',
      },
    };
    type Fault = { faultcode: string; detail: { OrderFault: { Code: string } } };
    const results: unknown[] = [];
    for (const server of [ours, theirs]) {
      const client = await soap.createClientAsync(server.wsdlUrl);
      client.setSecurity(
        new soap.WSSecurity(server.username, server.password, {
          passwordType: 'PasswordText',
          hasNonce: true,
        }),
      );
      const [created] = await client.CreateOrderAsync(order);
      const [found] = await client.GetOrderAsync({ OrderNumber: 'ORD-C1' });
      const [unknown] = await client.GetOrderAsync({ OrderNumber: 'ORD-C404' });
      const duplicate = await client.CreateOrderAsync(order).then(
        () => undefined,
        (error: { root?: { Envelope: { Body: { Fault: Fault } } } }) => error.root?.Envelope.Body.Fault,
      );
      results.push({
        created: created.OrderNumber,
        found: { ...found.Order, OrderDate: new Date(found.Order.OrderDate).toISOString() },
        unknown: unknown ?? null,
        duplicate: [duplicate?.faultcode, duplicate?.detail.OrderFault.Code],
      });
    }
    expect(results[0]).toEqual(results[1]);
    expect(results[0]).toMatchObject({
      created: 'ORD-C1',
      found: { Customer: { FullName: 'Ana & <Bo> "Ö" 🚢' } },
      unknown: null,
      duplicate: ['soap:Client', 'DUPLICATE_ORDER'],
    });
    // Each client followed its own WSDL's soap:address to its own server.
    expect(ours.orders().map((stored) => stored.order.orderNumber)).toContain('ORD-C1');
    expect(theirs.orderNumbers()).toContain('ORD-C1');
  });

  const clientOrder = (orderNumber: string) => ({
    Order: {
      OrderNumber: orderNumber,
      Customer: { CustomerNumber: 'C-5', FullName: 'Kai', Email: 'kai@example.com', Phone: '+1 555' },
      ShipTo: { Street: '5 Pier', City: 'Oslo', Region: 'Oslo', PostalCode: '0150' },
      OrderDate: '2026-12-01T08:00:00Z',
    },
  });

  it('accepts a soap package client signing with PasswordDigest, and refuses its replayed request', async () => {
    const client = await soap.createClientAsync(ours.wsdlUrl);
    client.setSecurity(new soap.WSSecurity(ours.username, ours.password, { passwordType: 'PasswordDigest' }));
    const [created] = await client.CreateOrderAsync(clientOrder('ORD-D1'));
    expect(created.OrderNumber).toBe('ORD-D1');
    const replay = await fetch(ours.url, {
      method: 'POST',
      headers: soapHeaders('CreateOrder'),
      body: client.lastRequest as string,
    });
    // Refused for the nonce, before the order could even be found a duplicate.
    expect(soapOutcome(replay.status, await replay.text()).fault?.code).toBe('AUTHENTICATION_FAILED');
  });

  it('speaks SOAP 1.2 with a soap package client that forces 1.2 headers', async () => {
    const client = await soap.createClientAsync(ours.wsdlUrl, { forceSoap12Headers: true });
    client.setSecurity(new soap.WSSecurity(ours.username, ours.password, { passwordType: 'PasswordDigest' }));
    await client.CreateOrderAsync(clientOrder('ORD-S12'));
    const [found] = await client.GetOrderAsync({ OrderNumber: 'ORD-S12' });
    expect(found.Order).toMatchObject({ OrderNumber: 'ORD-S12', Customer: { Phone: '+1 555' } });
    expect(client.lastRequest).toContain('http://www.w3.org/2003/05/soap-envelope');
    expect(client.lastResponse).toContain('http://www.w3.org/2003/05/soap-envelope');
  });
});
