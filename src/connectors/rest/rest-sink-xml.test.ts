// The REST destination sending XML bodies (`format: xml`) through ferry's own stack, against the bundled
// order API, which takes and answers XML by the same convention.
import { afterEach, describe, expect, it } from 'vitest';
import { connectorContext, type TestContext } from '../../../test/support/connector-context.ts';
import type { OutgoingRecord, SinkConnector } from '../../core/connector-types.ts';
import { type MockDestinationHandle, startMockDestination } from '../../mocks/mock-destination.ts';
import { EXAMPLE_ORDER, type MockOrder } from '../../mocks/order-schema.ts';
import { xmlFormat } from './body-format.ts';
import { restSink } from './sink-spec.ts';

let destination: MockDestinationHandle | undefined;
let context: TestContext | undefined;
afterEach(async () => {
  await Promise.all([destination?.close(), context?.close()]);
  destination = context = undefined;
});

const order = (n: number, changes: Partial<MockOrder> = {}) => ({
  order: { ...EXAMPLE_ORDER, orderId: `ORD-${n}`, ...changes },
});
const record = (value: unknown, key = 'k'): OutgoingRecord => ({ key, idempotencyKey: `${key}-idem`, value });

async function sinkFor(extra: Record<string, unknown> = {}, ctx: TestContext = connectorContext()) {
  destination ??= await startMockDestination({ seed: 3 });
  context = ctx;
  const options = restSink.options.parse({
    url: destination.ordersUrl,
    format: 'xml',
    auth: {
      type: 'oauth2_client_credentials',
      token_url: destination.tokenUrl,
      client_id: destination.clientId,
      client_secret: destination.clientSecret,
    },
    lookup: { url: `${destination.ordersUrl}/{order.orderId}` },
    retry: { base_delay: '1ms', max_delay: '2ms' },
    ...extra,
  });
  return restSink.create(options, ctx) as Promise<SinkConnector>;
}

describe('REST destination with format: xml', () => {
  it('sends each record as one XML document, stored equal field by field', async () => {
    const sink = await sinkFor();
    const name = 'Zoë & <Co>';
    const value = order(1, { customerInfo: { ...EXAMPLE_ORDER.customerInfo, name } });
    expect(await sink.send(record(value))).toEqual({ state: 'delivered', attempts: 1 });
    expect(destination?.orders()).toEqual([value.order]);
    expect(destination?.stats().requests['POST /api/v2/orders']).toEqual({ '201': 1 });
  });

  it('looks a record up in XML: found equal is delivered, found different fails naming it', async () => {
    const sink = await sinkFor();
    await sink.send(record(order(2)));
    expect(await sink.lookup?.(record(order(2)))).toMatchObject({ found: true, matches: true });
    expect(await sink.lookup?.(record(order(2, { orderDate: '2024-01-01T00:00:00Z' })))).toMatchObject({
      found: true,
      matches: false,
    });
    expect(await sink.lookup?.(record(order(3)))).toEqual({ found: false });
  });

  it('reconciles a duplicate (409) through the XML lookup', async () => {
    const sink = await sinkFor();
    await sink.send(record(order(4), 'a'));
    expect(await sink.send(record(order(4), 'b'))).toMatchObject({ state: 'delivered' });
    expect(destination?.stats().ordersStored).toBe(1);
  });

  it('fails a record the destination refuses with the field errors of its XML answer', async () => {
    const sink = await sinkFor();
    const outcome = await sink.send(
      record(order(5, { customerInfo: { ...EXAMPLE_ORDER.customerInfo, contactEmail: 'nope' } })),
    );
    expect(outcome).toMatchObject({ state: 'failed', refused: true });
    if (outcome.state !== 'failed') return;
    expect(outcome.reasons[0]?.code).toBe('destination_400');
    expect(outcome.reasons.slice(1)).toEqual([
      expect.objectContaining({ field: expect.stringContaining('contactEmail'), code: 'destination_field' }),
    ]);
  });

  it('updates with PUT and If-Match, reading the record as XML first', async () => {
    destination = await startMockDestination();
    const sink = await sinkFor({
      on_change: { action: 'update', url: `${destination?.ordersUrl ?? ''}/{order.orderId}` },
    });
    await sink.send(record(order(6)));
    const changed = order(6, { shippingAddress: { ...EXAMPLE_ORDER.shippingAddress, city: 'Elsewhere' } });
    const updated = await sink.send({ ...record(changed), idempotencyKey: 'k-v2', operation: 'update' });
    expect(updated).toMatchObject({
      state: 'delivered',
    });
    expect(destination?.orders()[0]?.shippingAddress.city).toBe('Elsewhere');
    expect(destination?.stats().updates).toBe(1);
  });

  it('refuses before any send what cannot be written as XML, with the path', async () => {
    destination = await startMockDestination();
    const sink = await sinkFor({ url: `${destination.ordersUrl}` });
    expect(sink.validate?.(order(7), 'create')).toEqual([]);
    expect(sink.validate?.({ a: 1, b: 2 }, 'create')).toEqual([
      expect.objectContaining({ code: 'xml_root', message: expect.stringContaining('not 2 (a, b)') }),
    ]);
    expect(sink.validate?.({ order: { 'first name': 'x', note: 'bell \u0007' } }, 'create')).toEqual([
      { field: 'order/first name', code: 'xml_name', message: '"first name" is not an XML name' },
      { field: 'order/note', code: 'xml_char', message: 'contains U+0007, a character XML cannot carry' },
    ]);
  });
});

describe('the XML body format', () => {
  it('writes the root in its namespace, and compares what it sent as the text an answer carries', () => {
    const format = xmlFormat({ namespace: 'urn:orders' });
    expect(
      format.serialize({ order: { '@id': 7, total: 12.5, line: [{ sku: 'A' }, { sku: 'B' }], gone: null } }),
    ).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><order xmlns="urn:orders" id="7"><total>12.5</total><line><sku>A</sku></line><line><sku>B</sku></line></order>',
    );
    expect(format.normalize({ order: { '@id': 7, total: 12.5, gone: null } })).toEqual({
      order: { '@id': '7', total: '12.5' },
    });
  });

  it('refuses an answer that is an HTML page, in another namespace, or holds a DTD', async () => {
    const format = xmlFormat({ namespace: 'urn:orders' });
    const answer = (type: string, body: string) => ({
      status: 200,
      headers: { 'content-type': type },
      body: Buffer.from(body),
      url: 'https://api.example.com/orders/7',
    });
    expect(() => format.parse(answer('text/html', '<html/>'), 'looking up record 7')).toThrow(
      'looking up record 7 https://api.example.com/orders/7: expected XML (application/xml, text/xml or */*+xml), received "text/html": an HTML page',
    );
    expect(() => format.parse(answer('application/xml', '<order xmlns="urn:other"/>'), 'looking up')).toThrow(
      /expected the root element in \{urn:orders\}, got \{urn:other\}order$/,
    );
    expect(() =>
      format.parse(
        answer('application/xml', '<!DOCTYPE o [<!ENTITY x SYSTEM "file:///etc/passwd">]><order>&x;</order>'),
        'looking up',
      ),
    ).toThrow(/a DOCTYPE is not accepted/);
  });
});
