import { Readable } from 'node:stream';
import { createGzip } from 'node:zlib';
import { stringify } from 'csv-stringify/sync';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { customerAt, type MockCustomer } from './customer-data.ts';

/** Path of the customers export as CSV; `.csv.gz` serves it gzipped. */
export const CUSTOMERS_CSV_PATH = '/api/v1/customers.csv';

/** The export's columns: the customer flattened, the address's fields in its place. */
export const CUSTOMER_CSV_COLUMNS = [
  'customer_id',
  'first_name',
  'last_name',
  'email',
  'street',
  'city',
  'state',
  'zip',
  'phone',
] as const;

const CHUNK = 1000;

function cell(value: unknown): string {
  return value === undefined || value === null ? '' : String(value);
}

/** One customer as a CSV row's cells: a missing or null value is an empty cell; extra fields are left out. */
export function customerCsvCells(customer: MockCustomer): string[] {
  const address = customer.address ?? {};
  return [
    cell(customer.customer_id),
    cell(customer.first_name),
    cell(customer.last_name),
    cell(customer.email),
    cell(address.street),
    cell(address.city),
    cell(address.state),
    cell(address.zip),
    cell(customer.phone),
  ];
}

/**
 * The first `count` customers of `seed` as CSV text, chunk by chunk: a header row, then one row per
 * customer, RFC 4180 quoting, CRLF line ends (as spreadsheet exports write them).
 */
export function* customersCsv(seed: number, count: number): Generator<string> {
  const options = { record_delimiter: 'windows' as const, quoted_match: /[\r\n]/ };
  yield stringify([[...CUSTOMER_CSV_COLUMNS]], options);
  for (let start = 0; start < count; start += CHUNK) {
    const rows: string[][] = [];
    for (let i = start; i < Math.min(count, start + CHUNK); i++)
      rows.push(customerCsvCells(customerAt(seed, i)));
    yield stringify(rows, options);
  }
}

/** What the export route needs from the mock source. */
export interface CustomerCsvRoutes {
  readonly seed: number;
  readonly count: number;
  readonly onRequest: Array<(request: FastifyRequest, reply: FastifyReply) => Promise<unknown>>;
  readonly preValidation: Array<(request: FastifyRequest, reply: FastifyReply) => Promise<unknown>>;
  /** Counts customers served. */
  served(count: number): void;
}

/**
 * Registers GET /api/v1/customers.csv (and .csv.gz): the whole data set as one streamed CSV file, behind
 * the same API key and faults as the JSON listing, for the file connectors' examples and tests.
 */
export function registerCustomerCsv(app: FastifyInstance, routes: CustomerCsvRoutes): void {
  for (const gzip of [false, true]) {
    app.get(
      gzip ? `${CUSTOMERS_CSV_PATH}.gz` : CUSTOMERS_CSV_PATH,
      {
        onRequest: routes.onRequest,
        preValidation: routes.preValidation,
        schema: {
          tags: ['customers'],
          summary: gzip ? 'Export customers as gzipped CSV' : 'Export customers as CSV',
          description: `The whole data set as one CSV file (header ${CUSTOMER_CSV_COLUMNS.join(',')}; an empty cell is a missing value), streamed${gzip ? ' and gzipped' : ''}.`,
          security: [{ apiKey: [] }],
          produces: [gzip ? 'application/gzip' : 'text/csv'],
        },
      },
      async (_request, reply) => {
        routes.served(routes.count);
        const text = Readable.from(customersCsv(routes.seed, routes.count), { objectMode: false });
        reply.type(gzip ? 'application/gzip' : 'text/csv; charset=utf-8');
        return reply.send(gzip ? text.pipe(createGzip()) : text);
      },
    );
  }
}
