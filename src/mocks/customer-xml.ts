import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { escapeXmlAttribute, escapeXmlText } from '../xml/escape-xml.ts';
import type { CustomerBook } from './customer-book.ts';
import type { MockCustomer } from './customer-data.ts';

/** Path of the customers listing as XML. */
export const CUSTOMERS_XML_PATH = '/api/v1/customers.xml';
/** The namespace of the XML listing's elements. */
export const CUSTOMERS_XML_NAMESPACE = 'http://customers.example.com/v1';

const XSI = 'http://www.w3.org/2001/XMLSchema-instance';
const DEFAULT_PER_PAGE = 100;
const MAX_PER_PAGE = 1000;
const CHUNK = 500;

function text(value: unknown): string {
  return escapeXmlText(typeof value === 'object' ? JSON.stringify(value) : String(value));
}

/** An element for a field: left out when the field is, `xsi:nil` when it is null. */
function field(name: string, value: unknown): string {
  if (value === undefined) return '';
  if (value === null) return `<${name} xsi:nil="true"/>`;
  return `<${name}>${text(value)}</${name}>`;
}

/**
 * One customer as the XML listing writes it: its id and times as attributes, the rest as elements in the
 * listing's namespace (PascalCase, as XML APIs name them), a missing field left out, a null one `xsi:nil`.
 * Fields the JSON listing carries besides the known ones become `<Extra name="...">value</Extra>`, which
 * repeat.
 */
export function customerXml(customer: MockCustomer): string {
  const { customer_id, first_name, last_name, email, phone, address, updated_at, deleted_at, ...extra } =
    customer;
  const attributes = [
    customer_id === undefined ? '' : ` id="${escapeXmlAttribute(String(customer_id))}"`,
    updated_at === undefined ? '' : ` updated="${escapeXmlAttribute(updated_at)}"`,
    deleted_at === undefined ? '' : ` deleted="${escapeXmlAttribute(deleted_at)}"`,
  ].join('');
  const where =
    address === undefined
      ? ''
      : `<Address>${field('Street', address.street)}${field('City', address.city)}${field('State', address.state)}${field('Zip', address.zip)}</Address>`;
  const extras = Object.entries(extra)
    .map(([name, value]) => `<Extra name="${escapeXmlAttribute(name)}">${text(value)}</Extra>`)
    .join('');
  return `<Customer${attributes}>${field('FirstName', first_name)}${field('LastName', last_name)}${field('Email', email)}${field('Phone', phone)}${where}${extras}</Customer>`;
}

function* document(
  book: CustomerBook,
  start: number,
  end: number,
  total: number,
  tail = '',
): Generator<string> {
  yield `<?xml version="1.0" encoding="UTF-8"?>\n<Customers xmlns="${CUSTOMERS_XML_NAMESPACE}" xmlns:xsi="${XSI}" total="${total}">`;
  for (let from = start; from < end; from += CHUNK) {
    const parts: string[] = [];
    for (let i = from; i < Math.min(end, from + CHUNK); i++) parts.push(customerXml(book.at(i)));
    yield parts.join('\n');
  }
  yield `${tail}</Customers>\n`;
}

/** What the XML listing needs from the mock source. */
export interface CustomerXmlRoutes {
  readonly book: CustomerBook;
  readonly onRequest: Array<(request: FastifyRequest, reply: FastifyReply) => Promise<unknown>>;
  readonly preValidation: Array<(request: FastifyRequest, reply: FastifyReply) => Promise<unknown>>;
  /** Counts customers served. */
  served(count: number): void;
}

/**
 * Registers GET /api/v1/customers.xml: the customers as an XML document (`application/xml`), behind the
 * same API key and faults as the JSON listing. Unpaged, the whole data set streamed as one document; with
 * page/per_page or offset/limit, one page with `Link: rel="next"`, `X-Total-Count` and a `total` attribute;
 * with `cursor` (empty for the first page) and `limit`, one page ending in `<NextCursor>` and `<NextPage>`
 * (the next page's URL) unless it is the last.
 */
export function registerCustomerXml(app: FastifyInstance, routes: CustomerXmlRoutes): void {
  app.get(
    CUSTOMERS_XML_PATH,
    {
      onRequest: routes.onRequest,
      preValidation: routes.preValidation,
      schema: {
        tags: ['customers'],
        summary: 'List customers as XML',
        description: `The customers as one XML document in ${CUSTOMERS_XML_NAMESPACE}: <Customers total="N"> holding one <Customer id="..." updated="..."> per customer (FirstName, LastName, Email, Phone, Address/Street|City|State|Zip, Extra name="..." repeated; a null field is xsi:nil="true", a missing one is left out). Unpaged: every customer, streamed. page/per_page or offset/limit: one page, Link rel="next" and X-Total-Count. cursor (empty for the first page) and limit: one page ending in <NextCursor> and <NextPage> (the next page's URL) unless it is the last.`,
        security: [{ apiKey: [] }],
        produces: ['application/xml'],
        querystring: {
          type: 'object',
          properties: {
            page: { type: 'integer', minimum: 1 },
            per_page: { type: 'integer', minimum: 1, maximum: MAX_PER_PAGE },
            offset: { type: 'integer', minimum: 0 },
            limit: { type: 'integer', minimum: 1, maximum: MAX_PER_PAGE },
            cursor: { type: 'string', description: 'Where the page starts: empty, or a NextCursor' },
          },
        },
      },
    },
    async (request, reply) => {
      const query = request.query as {
        page?: number;
        per_page?: number;
        offset?: number;
        limit?: number;
        cursor?: string;
      };
      const size = routes.book.size();
      reply.type('application/xml; charset=utf-8');
      const send = (start: number, end: number, tail = '') => {
        routes.served(end - start);
        return reply.send(
          Readable.from(document(routes.book, start, end, size, tail), { objectMode: false }),
        );
      };
      if (query.cursor !== undefined) {
        const start = query.cursor === '' ? 0 : Number(Buffer.from(query.cursor, 'base64url').toString());
        if (!Number.isSafeInteger(start) || start < 0)
          return reply
            .code(400)
            .type('application/xml; charset=utf-8')
            .send(`<Error><Field>cursor</Field><Message>is not a cursor this API gave</Message></Error>`);
        const end = Math.min(size, start + (query.limit ?? DEFAULT_PER_PAGE));
        const cursor = Buffer.from(String(end)).toString('base64url');
        const nextPage = `${request.protocol}://${request.host}${CUSTOMERS_XML_PATH}?cursor=${cursor}&limit=${query.limit ?? DEFAULT_PER_PAGE}`;
        const tail =
          end < size
            ? `<NextCursor>${cursor}</NextCursor><NextPage>${escapeXmlText(nextPage)}</NextPage>`
            : '';
        return send(Math.min(start, size), end, tail);
      }
      const byOffset = query.offset !== undefined || query.limit !== undefined;
      if (!byOffset && query.page === undefined && query.per_page === undefined) return send(0, size);
      const asked = (byOffset ? query.limit : query.per_page) ?? DEFAULT_PER_PAGE;
      const page = query.page ?? 1;
      const start = Math.min(size, byOffset ? (query.offset ?? 0) : (page - 1) * asked);
      const end = Math.min(size, start + asked);
      reply.header('X-Total-Count', String(size));
      if (end < size) {
        const next = byOffset ? `offset=${end}&limit=${asked}` : `page=${page + 1}&per_page=${asked}`;
        reply.header(
          'Link',
          `<${request.protocol}://${request.host}${CUSTOMERS_XML_PATH}?${next}>; rel="next"`,
        );
      }
      return send(start, end);
    },
  );
}
