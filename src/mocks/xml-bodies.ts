import type { FastifyInstance } from 'fastify';
import { parseXml } from '../xml/parse-xml.ts';
import { elementToObject, objectToXml } from '../xml/xml-object.ts';

/**
 * Lets a JSON mock take and give XML as well, by ferry's convention (docs/xml.md): a request body in
 * application/xml or text/xml whose root is `root` is read as the JSON body it stands for (every value text,
 * which the mocks' schemas, all strings, accept), and a JSON answer to a request that asks for XML (Accept
 * naming xml and not json) is written as XML: an order under `<order>`, an error under `<error>` (its field
 * errors as repeated `<errors>`), a listing under `<listing>`. XML is parsed by ferry's hardened parser: no
 * DTD, no entities.
 */
export function acceptXmlBodies(app: FastifyInstance, root: string): void {
  app.addContentTypeParser(['application/xml', 'text/xml'], { parseAs: 'string' }, (_request, body, done) => {
    const parsed = parseXml(body as string, { maxDepth: 32, maxElements: 10_000 });
    if (!parsed.ok)
      return done(
        Object.assign(new Error(`the body is not XML ferry's mocks take: ${parsed.message}`), {
          statusCode: 400,
        }),
      );
    if (parsed.root.name !== root)
      return done(
        Object.assign(new Error(`expected the root element ${root}, got ${parsed.root.name}`), {
          statusCode: 400,
        }),
      );
    done(null, elementToObject(parsed.root));
  });
  app.addHook('onSend', async (request, reply, payload) => {
    const accept = request.headers.accept ?? '';
    if (!/xml/i.test(accept) || /json/i.test(accept) || typeof payload !== 'string' || payload === '')
      return payload;
    if (!/json/i.test(String(reply.getHeader('content-type') ?? ''))) return payload;
    let value: unknown;
    try {
      value = JSON.parse(payload);
    } catch {
      return payload;
    }
    const name =
      value !== null && typeof value === 'object' && 'orderId' in value
        ? 'order'
        : value !== null && typeof value === 'object' && 'error' in value
          ? 'error'
          : 'listing';
    reply.type('application/xml; charset=utf-8');
    return `<?xml version="1.0" encoding="UTF-8"?>${objectToXml({ [name]: value })}`;
  });
}
