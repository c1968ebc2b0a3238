// Hostile and broken answers from a SOAP peer: refused, never parsed into anything, each with a message
// naming the endpoint and what ferry expected.
import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { connectorContext, type TestContext } from '../../../test/support/connector-context.ts';
import { loadErpWsdl } from '../../mocks/erp/erp-wsdl.ts';
import { parseXml } from '../../xml/parse-xml.ts';
import { soapSink } from './sink-spec.ts';

let server: Server | undefined;
let context: TestContext | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  await context?.close();
  server = context = undefined;
});

const ENVELOPE = 'http://schemas.xmlsoap.org/soap/envelope/';
const NS = 'http://erp.example.com/orders/v1';

/** A server that serves the ERP WSDL and answers every POST with `answer`. */
async function peer(answer: { status?: number; type?: string; body: string }, wsdl = loadErpWsdl()) {
  server = createServer((request, response) => {
    if (request.method === 'GET') {
      response.writeHead(200, { 'content-type': 'text/xml' }).end(wsdl);
      return;
    }
    request.resume();
    request.on('end', () => {
      response.writeHead(answer.status ?? 200, { 'content-type': answer.type ?? 'text/xml; charset=utf-8' });
      response.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return `http://127.0.0.1:${port}/erp/OrderService`;
}

async function send(url: string) {
  context = connectorContext();
  const sink = await soapSink.create(
    soapSink.options.parse({ wsdl: `${url}?wsdl`, endpoint: url, operation: 'CreateOrder' }),
    context,
  );
  const order = {
    Order: {
      OrderNumber: 'ORD-1',
      Customer: { CustomerNumber: 'C1', FullName: 'A', Email: 'a@example.com' },
      ShipTo: { Street: 's', City: 'c', Region: 'r', PostalCode: 'p' },
      OrderDate: '2026-12-03T14:30:00Z',
    },
  };
  const outcome = await sink.send({ key: 'k', idempotencyKey: 'k', value: order });
  if (outcome.state !== 'failed') throw new Error(`expected a failure, got ${JSON.stringify(outcome)}`);
  return outcome.reasons[0].message;
}

const envelope = (body: string, prolog = '') =>
  `${prolog}<s:Envelope xmlns:s="${ENVELOPE}"><s:Body>${body}</s:Body></s:Envelope>`;

describe('hostile or broken SOAP answers', () => {
  it('refuses a DOCTYPE with an external entity (XXE) without reading the file', async () => {
    const url = await peer({
      body: envelope(
        `<o:CreateOrderResponse xmlns:o="${NS}"><o:OrderNumber>&xxe;</o:OrderNumber></o:CreateOrderResponse>`,
        '<?xml version="1.0"?><!DOCTYPE s:Envelope [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
      ),
    });
    const message = await send(url);
    expect(message).toContain(
      `${url} (CreateOrder) answered 200: refused the response: a DOCTYPE is not accepted`,
    );
    expect(message).not.toContain('root:');
  });

  it('refuses entity expansion (billion laughs)', async () => {
    const laughs =
      '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">' +
      '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>';
    const url = await peer({ body: envelope('<x>&lol3;</x>', laughs) });
    expect(await send(url)).toMatch(/refused the response: a DOCTYPE is not accepted/);
  });

  it('refuses an undeclared entity reference as not well-formed', () => {
    const parsed = parseXml('<a>&nbsp;</a>');
    expect(parsed).toMatchObject({
      ok: false,
      message: expect.stringMatching(/line 1, column \d+: an entity reference/),
    });
  });

  it('refuses nesting deeper than the limit, and too many elements', async () => {
    const deep = `${'<a>'.repeat(100)}${'</a>'.repeat(100)}`;
    const url = await peer({ body: envelope(deep) });
    expect(await send(url)).toMatch(/refused the response: elements nest deeper than 64 levels/);
    expect(parseXml(`<r>${'<e/>'.repeat(20)}</r>`, { maxElements: 10 })).toMatchObject({
      ok: false,
      hostile: true,
      message: 'more than 10 elements',
    });
    expect(parseXml('<r/>', { maxChars: 3 })).toMatchObject({ ok: false, hostile: true });
  });

  it('says an HTML error page came where a SOAP envelope was expected', async () => {
    const url = await peer({
      status: 200,
      type: 'text/html',
      body: '<!DOCTYPE html><html><body><h1>Gateway error</h1><br></body></html>',
    });
    expect(await send(url)).toBe(
      `${url} (CreateOrder) answered 200: expected a SOAP 1.1 envelope, got an HTML page (Content-Type text/html)`,
    );
  });

  it('says a truncated document is not well-formed, with where it ends', async () => {
    const url = await peer({
      body: envelope(`<o:CreateOrderResponse xmlns:o="${NS}"><o:OrderNumber>ORD-1`).slice(0, -30),
    });
    expect(await send(url)).toMatch(
      new RegExp(
        `^${url.replace(/[.?]/g, '\\$&')} \\(CreateOrder\\) answered 200: expected a SOAP 1\\.1 envelope, got a body that is not well-formed XML at line 1, column \\d+`,
      ),
    );
  });

  it('says when the answer is in the wrong namespace', async () => {
    const url = await peer({
      body: envelope('<o:CreateOrderResponse xmlns:o="http://erp.example.com/orders/v2"/>'),
    });
    expect(await send(url)).toBe(
      `${url} (CreateOrder) answered 200: expected {${NS}}CreateOrderResponse in the SOAP Body, got {http://erp.example.com/orders/v2}CreateOrderResponse`,
    );
  });

  it('says when the envelope is of the other SOAP version', async () => {
    const url = await peer({
      body: '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body/></s:Envelope>',
    });
    expect(await send(url)).toMatch(
      /expected a SOAP 1\.1 envelope \(http:\/\/schemas\.xmlsoap\.org\/soap\/envelope\/\), got a SOAP 1\.2 envelope/,
    );
  });

  it('refuses a WSDL with a DOCTYPE as a configuration error naming the option', async () => {
    const url = await peer(
      { body: '' },
      `<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/hostname">]>${loadErpWsdl().replace(/^<\?xml[^>]*>/, '')}`,
    );
    context = connectorContext();
    await expect(
      soapSink.create(
        soapSink.options.parse({ wsdl: `${url}?wsdl`, endpoint: url, operation: 'CreateOrder' }),
        context,
      ),
    ).rejects.toMatchObject({
      code: 'FERRY_ERR_CONFIG_INVALID',
      message: expect.stringContaining('destination.wsdl: '),
    });
    await expect(
      soapSink.create(
        soapSink.options.parse({ wsdl: `${url}?wsdl`, endpoint: url, operation: 'CreateOrder' }),
        context,
      ),
    ).rejects.toThrow(/a DOCTYPE is not accepted/);
  });

  it('says a page that is not a WSDL is not one', async () => {
    const url = await peer({ body: '' }, '<html><body>Login</body></html>');
    context = connectorContext();
    await expect(
      soapSink.create(
        soapSink.options.parse({ wsdl: `${url}?wsdl`, endpoint: url, operation: 'CreateOrder' }),
        context,
      ),
    ).rejects.toThrow(
      /is not a WSDL 1\.1 document: expected <definitions> in http:\/\/schemas\.xmlsoap\.org\/wsdl\/, found <html> \(an HTML page: is the URL right\?\)/,
    );
  });
});
