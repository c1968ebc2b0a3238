import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createOrderEnvelope,
  envelope,
  getOrderEnvelope,
  orderElement,
  sampleOrder,
  soapHeaders,
  soapOutcome,
  type TestToken,
} from '../../../test/support/erp-envelopes.ts';
import { createErpFaults } from './erp-faults.ts';
import { ERP_SERVICE_PATH, type ErpOperation } from './erp-wsdl.ts';
import { buildMockErp, type MockErp, type MockErpOptions, startMockErp } from './mock-erp.ts';
import type { SoapVersion } from './soap-message.ts';

const credentials = { username: 'erp-user', password: 'pa&ss "word" <x>' };
const text: TestToken = { ...credentials, type: 'text' };
const digest: TestToken = { ...credentials, type: 'digest' };

let erp: MockErp | undefined;
afterEach(async () => {
  await erp?.app.close();
  erp = undefined;
});

async function build(options: MockErpOptions = {}): Promise<MockErp> {
  erp = await buildMockErp({ ...credentials, ...options });
  return erp;
}

async function call(
  server: MockErp,
  body: string,
  operation: ErpOperation = 'CreateOrder',
  version: SoapVersion = '1.1',
  headers: Record<string, string> = {},
) {
  const response = await server.app.inject({
    method: 'POST',
    url: ERP_SERVICE_PATH,
    headers: { ...soapHeaders(operation, version), ...headers },
    payload: body,
  });
  return { response, outcome: () => soapOutcome(response.statusCode, response.body) };
}

describe('the ERP mock', () => {
  it('serves the WSDL at ?wsdl with its soap:address pointing at the server', async () => {
    const server = await build();
    const response = await server.app.inject({
      url: `${ERP_SERVICE_PATH}?wsdl`,
      headers: { host: 'erp.test:4030' },
    });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/xml/);
    expect(response.body).toContain('<soap:address location="http://erp.test:4030/erp/OrderService"/>');
    expect(response.body).toContain('<wsdl:service name="OrderService">');
    const upper = await server.app.inject({ url: `${ERP_SERVICE_PATH}?WSDL` });
    expect(upper.body).toContain('<soap:address location="http://localhost:80/erp/OrderService"/>');
  });

  it('creates an order over SOAP 1.1 with PasswordText and returns it from GetOrder, text intact', async () => {
    const server = await build();
    const order = sampleOrder();
    const created = await call(server, createOrderEnvelope(order, text));
    expect(created.response.headers['content-type']).toBe('text/xml; charset=utf-8');
    expect(created.outcome()).toEqual({
      status: 200,
      values: ['CreateOrderResponse/OrderNumber=ORD-1001', 'CreateOrderResponse/ErpReference=ERP-00000001'],
    });
    const found = await call(server, getOrderEnvelope('ORD-1001', text), 'GetOrder');
    expect(found.outcome().values).toEqual([
      'GetOrderResponse/Order/OrderNumber=ORD-1001',
      'GetOrderResponse/Order/Customer/CustomerNumber=C-42',
      `GetOrderResponse/Order/Customer/FullName=${order.customer.fullName}`,
      'GetOrderResponse/Order/Customer/Email=zoe@example.com',
      'GetOrderResponse/Order/Customer/Phone=+44 20 7946 0000',
      'GetOrderResponse/Order/ShipTo/Street=1 Quay St',
      'GetOrderResponse/Order/ShipTo/City=Hull',
      'GetOrderResponse/Order/ShipTo/Region=East Riding',
      'GetOrderResponse/Order/ShipTo/PostalCode=HU1 1AA',
      'GetOrderResponse/Order/OrderDate=2026-12-03T14:30:00Z',
      'GetOrderResponse/ErpReference=ERP-00000001',
    ]);
    expect(server.orders()).toEqual([{ order, erpReference: 'ERP-00000001' }]);
    const listed = await server.app.inject({ url: '/__orders' });
    expect(listed.json()).toEqual({ total: 1, orders: [{ order, erpReference: 'ERP-00000001' }] });
    expect(server.stats()).toMatchObject({ operations: { CreateOrder: 1, GetOrder: 1 }, ordersStored: 1 });
  });

  it('answers an empty GetOrderResponse for an unknown OrderNumber', async () => {
    const server = await build();
    const { response, outcome } = await call(server, getOrderEnvelope('ORD-unknown', text), 'GetOrder');
    expect(outcome()).toEqual({ status: 200, values: [] });
    expect(response.body).toMatch(/<erp:GetOrderResponse [^>]*><\/erp:GetOrderResponse>/);
  });

  it('answers a SOAP 1.2 envelope in SOAP 1.2, with 400 and soap:Sender for a client fault', async () => {
    const server = await build();
    const created = await call(
      server,
      createOrderEnvelope(sampleOrder(), digest, '1.2'),
      'CreateOrder',
      '1.2',
    );
    expect(created.response.headers['content-type']).toBe('application/soap+xml; charset=utf-8');
    expect(created.response.body).toContain('http://www.w3.org/2003/05/soap-envelope');
    expect(created.outcome().values).toContain('CreateOrderResponse/OrderNumber=ORD-1001');
    const again = await call(server, createOrderEnvelope(sampleOrder(), digest, '1.2'), 'CreateOrder', '1.2');
    expect(again.outcome()).toEqual({
      status: 400,
      fault: { side: 'Sender', code: 'DUPLICATE_ORDER', fields: [] },
    });
    const mixed = await call(server, createOrderEnvelope(sampleOrder(), digest, '1.1'), 'CreateOrder', '1.2');
    expect(mixed.outcome().fault?.side).toBe('VersionMismatch');
  });

  it('refuses a second order with the same OrderNumber with DUPLICATE_ORDER and never stores it twice', async () => {
    const server = await build();
    await call(server, createOrderEnvelope(sampleOrder(), text));
    const other = { ...sampleOrder(), orderDate: '2026-12-04T00:00:00Z' };
    const duplicate = await call(server, createOrderEnvelope(other, text));
    expect(duplicate.outcome()).toEqual({
      status: 500,
      fault: { side: 'Client', code: 'DUPLICATE_ORDER', fields: [] },
    });
    expect(server.stats()).toMatchObject({ ordersStored: 1, duplicatesRefused: 1, duplicates: 0 });
    expect(server.orders()[0]?.order.orderDate).toBe('2026-12-03T14:30:00Z');
  });

  describe('WS-Security UsernameToken', () => {
    it('accepts PasswordDigest once and refuses the same nonce again', async () => {
      const server = await build();
      const body = getOrderEnvelope('ORD-1', { ...digest, nonce: 'bm9uY2Utb25lLXR3by10aHJlZQ==' });
      expect((await call(server, body, 'GetOrder')).response.statusCode).toBe(200);
      const replay = await call(server, body, 'GetOrder');
      expect(replay.outcome().fault).toEqual({ side: 'Client', code: 'AUTHENTICATION_FAILED', fields: [] });
      expect(replay.response.body).toContain('replay');
      expect(server.stats()).toMatchObject({ authFailures: 1, noncesReplayed: 1 });
    });

    it('still remembers a nonce after other requests, until its token has expired anyway', async () => {
      let now = Date.parse('2026-12-03T12:00:00Z');
      const server = await build({ now: () => now });
      const first = getOrderEnvelope('ORD-1', {
        ...digest,
        nonce: 'Zmlyc3Q=',
        created: '2026-12-03T12:00:00Z',
      });
      expect((await call(server, first, 'GetOrder')).response.statusCode).toBe(200);
      now += 4 * 60_000;
      const later = { ...digest, nonce: 'bGF0ZXI=', created: '2026-12-03T12:04:00Z' };
      expect((await call(server, getOrderEnvelope('ORD-1', later), 'GetOrder')).response.statusCode).toBe(
        200,
      );
      expect((await call(server, first, 'GetOrder')).response.body).toContain('replay');
    });

    it('refuses a token created more than 5 minutes ago, and accepts one just inside the window', async () => {
      let now = Date.parse('2026-12-03T12:00:00Z');
      const server = await build({ now: () => now });
      const token = { ...digest, created: '2026-12-03T11:55:00Z' };
      expect((await call(server, getOrderEnvelope('ORD-1', token), 'GetOrder')).response.statusCode).toBe(
        200,
      );
      now += 1000;
      const late = await call(server, getOrderEnvelope('ORD-1', token), 'GetOrder');
      expect(late.outcome().fault?.code).toBe('AUTHENTICATION_FAILED');
      expect(late.response.body).toContain('more than 5 minutes ago');
    });

    it('refuses a wrong password, a wrong username and a missing header with AUTHENTICATION_FAILED', async () => {
      const server = await build();
      const bodies = [
        getOrderEnvelope('ORD-1', { ...text, password: 'wrong' }),
        getOrderEnvelope('ORD-1', { ...digest, password: 'wrong' }),
        getOrderEnvelope('ORD-1', { ...text, username: 'someone' }),
        envelope('<o:GetOrder><o:OrderNumber>ORD-1</o:OrderNumber></o:GetOrder>', undefined),
      ];
      for (const body of bodies) {
        const { response, outcome } = await call(server, body, 'GetOrder');
        expect(outcome()).toEqual({
          status: 500,
          fault: { side: 'Client', code: 'AUTHENTICATION_FAILED', fields: [] },
        });
        expect(response.body).not.toContain(credentials.password);
      }
    });

    it('accepts only the password forms configured', async () => {
      const digestOnly = await build({ passwordType: 'digest' });
      expect(
        (await call(digestOnly, getOrderEnvelope('ORD-1', text), 'GetOrder')).outcome().fault?.code,
      ).toBe('AUTHENTICATION_FAILED');
      expect(
        (await call(digestOnly, getOrderEnvelope('ORD-1', digest), 'GetOrder')).response.statusCode,
      ).toBe(200);
      await digestOnly.app.close();
      const textOnly = await build({ passwordType: 'text' });
      expect(
        (await call(textOnly, getOrderEnvelope('ORD-1', digest), 'GetOrder')).outcome().fault?.code,
      ).toBe('AUTHENTICATION_FAILED');
    });
  });

  it('reports one FieldError per problem, named by its path', async () => {
    const server = await build();
    const order = sampleOrder('ORD 1');
    const xml = orderElement({ ...order, orderDate: '2026-02-30T10:00:00Z' })
      .replace(/<o:Email>[^<]*<\/o:Email>/, '')
      .replace(/<o:FullName>[^<]*<\/o:FullName>/, '<o:FullName></o:FullName>')
      .replace('<o:City>Hull</o:City>', `<o:City>${'x'.repeat(201)}</o:City><o:Note>hi</o:Note>`)
      .replace(/(<o:Street>[^<]*<\/o:Street>)(<o:City>.*<\/o:City>)/, '$2$1')
      .replace('<o:Region>', '<Region xmlns="">')
      .replace('</o:Region>', '</Region>');
    const { outcome, response } = await call(server, createOrderEnvelope(xml, text));
    const fault = outcome().fault;
    expect(fault).toMatchObject({ side: 'Client', code: 'VALIDATION_FAILED' });
    expect([...(fault?.fields ?? [])].sort()).toEqual([
      'Order/Customer/Email',
      'Order/Customer/FullName',
      'Order/OrderDate',
      'Order/OrderNumber',
      'Order/ShipTo/City',
      'Order/ShipTo/Note',
      'Order/ShipTo/Region',
      'Order/ShipTo/Street',
    ]);
    expect(response.body).toContain('is required');
    expect(response.body).toContain('must be 1 to 200 characters long, got 201');
    expect(response.body).toContain('is out of order');
    expect(response.body).toContain('must be qualified in the namespace');
    expect(server.stats()).toMatchObject({ validationFailures: 1, ordersStored: 0 });
  });

  it('validates GetOrder too', async () => {
    const server = await build();
    const { outcome } = await call(server, getOrderEnvelope('not-an-order', text), 'GetOrder');
    expect(outcome().fault).toEqual({ side: 'Client', code: 'VALIDATION_FAILED', fields: ['OrderNumber'] });
  });

  describe('hostile and malformed requests', () => {
    const laughs =
      '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">' +
      Array.from(
        { length: 9 },
        (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`,
      ).join('') +
      ']><lolz>&lol9;</lolz>';

    it('refuses a DOCTYPE (billion laughs) and 10,000-deep nesting before parsing, with a Client fault', async () => {
      const server = await build();
      const deep = envelope(`${'<o:x>'.repeat(10_000)}${'</o:x>'.repeat(10_000)}`, text);
      for (const [body, reason] of [
        [laughs, 'DOCTYPE'],
        [
          envelope('<o:GetOrder/>', text).replace('?>', '?><!DOCTYPE x SYSTEM "file:///etc/passwd">'),
          'DOCTYPE',
        ],
        [deep, 'deeper than 32 levels'],
      ] as const) {
        const { response, outcome } = await call(server, body);
        expect(outcome().fault).toEqual({ side: 'Client', code: 'VALIDATION_FAILED', fields: [] });
        expect(response.body).toContain(`refused before parsing: `);
        expect(response.body).toContain(reason);
      }
      expect(server.stats()).toMatchObject({ malformedRequests: 3, operations: { CreateOrder: 0 } });
    });

    it('refuses an oversized body with 413 and a Client fault', async () => {
      const server = await build({ bodyLimit: 4096 });
      const body = createOrderEnvelope(
        { ...sampleOrder(), shipTo: { ...sampleOrder().shipTo, street: 'x'.repeat(5000) } },
        text,
      );
      const { response, outcome } = await call(server, body);
      expect(response.statusCode).toBe(413);
      expect(outcome().fault?.side).toBe('Client');
    });

    it('refuses malformed XML, unknown operations, wrong SOAPActions and other media types', async () => {
      const server = await build();
      const cases: [string, Record<string, string>, string][] = [
        ['<env:Envelope', {}, 'not well-formed XML'],
        [createOrderEnvelope(sampleOrder(), text).replace(/o:Customer>/g, 'p:Customer>'), {}, 'prefix "p"'],
        [envelope('<o:DeleteOrder/>', text), {}, 'unknown operation'],
        [
          createOrderEnvelope(sampleOrder(), text),
          { soapaction: '"http://erp.example.com/orders/v1/GetOrder"' },
          'does not match',
        ],
        [createOrderEnvelope(sampleOrder(), text).replace('&amp;', '&bogus;'), {}, 'not a predefined entity'],
        [
          envelope('<o:GetOrder/>', text).replace(
            '<env:Header>',
            '<env:Header><x:Y xmlns:x="urn:x" env:mustUnderstand="1"/>',
          ),
          {},
          'mustUnderstand',
        ],
      ];
      for (const [body, headers, reason] of cases) {
        const { response } = await call(server, body, 'CreateOrder', '1.1', headers);
        expect(response.statusCode).toBe(500);
        expect(response.body).toContain(reason);
      }
      const noAction = await server.app.inject({
        method: 'POST',
        url: ERP_SERVICE_PATH,
        headers: { 'content-type': 'text/xml; charset=utf-8' },
        payload: createOrderEnvelope(sampleOrder(), text),
      });
      expect(noAction.body).toContain('the SOAPAction header is missing');
      const json = await server.app.inject({
        method: 'POST',
        url: ERP_SERVICE_PATH,
        headers: { 'content-type': 'application/json' },
        payload: '{}',
      });
      expect(json.statusCode).toBe(415);
      expect(soapOutcome(415, json.body).fault?.side).toBe('Client');
      expect(server.stats().ordersStored).toBe(0);
    });
  });

  describe('seeded faults', () => {
    it('injects SERVICE_BUSY, INTERNAL_ERROR and 503 + Retry-After exactly where the seeded draws say', async () => {
      const faults = {
        serviceBusyRate: 0.2,
        internalErrorRate: 0.1,
        unavailableRate: 0.1,
        retryAfterSeconds: 7,
      };
      const server = await build({ seed: 7, faults });
      const draws = createErpFaults(7, faults);
      const expected = { service_busy: 0, internal_error: 0, unavailable: 0, none: 0, lost_ack: 0 };
      for (let i = 0; i < 200; i++) {
        const decision = draws.next();
        expected[decision]++;
        const { response } = await call(server, getOrderEnvelope('ORD-1', text), 'GetOrder');
        if (decision === 'unavailable') {
          expect(response.statusCode).toBe(503);
          expect(response.headers['retry-after']).toBe('7');
        } else if (decision === 'none') {
          expect(response.statusCode).toBe(200);
        } else {
          const fault = soapOutcome(response.statusCode, response.body).fault;
          expect(fault).toEqual({
            side: 'Server',
            code: decision === 'service_busy' ? 'SERVICE_BUSY' : 'INTERNAL_ERROR',
            fields: [],
          });
        }
      }
      expect(server.stats().faultsInjected).toEqual({
        serviceBusy: expected.service_busy,
        internalError: expected.internal_error,
        unavailable: expected.unavailable,
        lostAcks: 0,
      });
      // The draws are a fair sample: each share lands near its configured rate.
      expect(expected.service_busy).toBeGreaterThan(25);
      expect(expected.service_busy).toBeLessThan(55);
      expect(expected.internal_error + expected.unavailable).toBeGreaterThan(20);
    });

    it('adds the configured latency before answering', async () => {
      const server = await build({ faults: { latencyMs: 5000 } });
      vi.useFakeTimers({ toFake: ['setTimeout'] });
      try {
        let answered = false;
        const pending = call(server, getOrderEnvelope('ORD-1', text), 'GetOrder').then((result) => {
          answered = true;
          return result;
        });
        await vi.advanceTimersByTimeAsync(4999);
        expect(answered).toBe(false);
        await vi.advanceTimersByTimeAsync(1);
        expect((await pending).response.statusCode).toBe(200);
      } finally {
        vi.useRealTimers();
      }
    });

    it('refuses fault rates that add up to more than 1', async () => {
      await expect(
        buildMockErp({ faults: { serviceBusyRate: 0.6, lostAckRate: 0.5 } }),
      ).rejects.toMatchObject({
        code: 'FERRY_ERR_USAGE',
      });
    });

    it('on a lost acknowledgement stores the order, then resets the connection', async () => {
      const running = await startMockErp({ ...credentials, faults: { lostAckRate: 1 } });
      try {
        const post = (body: string, operation: ErpOperation) =>
          fetch(running.url, { method: 'POST', headers: soapHeaders(operation), body });
        await expect(post(createOrderEnvelope(sampleOrder(), text), 'CreateOrder')).rejects.toThrow();
        expect(running.stats()).toMatchObject({
          ordersStored: 1,
          faultsInjected: { lostAcks: 1 },
          requests: { [`POST ${ERP_SERVICE_PATH}`]: { lost: 1 } },
        });
        // GetOrder is never dropped: a client recovers the lost acknowledgement with it.
        const found = await post(getOrderEnvelope('ORD-1001', text), 'GetOrder');
        expect(soapOutcome(found.status, await found.text()).values).toContain(
          'GetOrderResponse/ErpReference=ERP-00000001',
        );
        const stats = await (await fetch(`${running.origin}/__stats`)).json();
        expect(stats).toMatchObject({ ordersStored: 1, duplicates: 0 });
      } finally {
        await running.close();
      }
    });
  });

  it('forgets orders, nonces and counters on reset', async () => {
    const server = await build();
    const body = createOrderEnvelope(sampleOrder(), { ...digest, nonce: 'c2FtZS1ub25jZQ==' });
    await call(server, body);
    expect((await server.app.inject({ method: 'POST', url: '/__admin/reset' })).statusCode).toBe(204);
    expect(server.stats()).toMatchObject({ ordersStored: 0, operations: { CreateOrder: 0 } });
    expect((await call(server, body)).response.statusCode).toBe(200);
  });
});
