import { afterEach, describe, expect, it } from 'vitest';
import { connectorContext, type TestContext } from '../../../test/support/connector-context.ts';
import { type CustomerListService, startCustomerList } from '../../../test/support/soap-customer-list.ts';
import type { Checkpoint, SourcePage } from '../../core/connector-types.ts';
import { soapSource } from './source-spec.ts';

let service: CustomerListService | undefined;
let context: TestContext | undefined;
afterEach(async () => {
  await Promise.all([service?.close(), context?.close()]);
  service = context = undefined;
});

async function read(options: Record<string, unknown>, from: Checkpoint | null = null, limit = Infinity) {
  context = connectorContext();
  const source = await soapSource.create(soapSource.options.parse(options), context);
  const pages: SourcePage[] = [];
  for await (const page of source.readPages({ from, signal: new AbortController().signal })) {
    pages.push(page);
    if (pages.length >= limit) break;
  }
  return pages;
}

describe('SOAP source against a soap-package list service', () => {
  it('reads every page by page number, records typed by the schema, and resumes from a checkpoint', async () => {
    service = await startCustomerList(7);
    const options = {
      wsdl: service.wsdlUrl,
      operation: 'ListCustomers',
      request: { Page: '{page}', PageSize: 3 },
      records_path: 'Customers/Customer',
      total_path: 'Total',
      pagination: { type: 'page_number', start: 1 },
    };
    const pages = await read(options);
    expect(pages.map((p) => p.records.length)).toEqual([3, 3, 1, 0]);
    expect(pages[0]?.records[0]).toEqual({ Id: 1, Name: 'Customer 1 & Söhne', Active: true });
    expect(pages[0]?.records[1]).toEqual({
      Id: 2,
      Name: 'Customer 2 & Söhne',
      Email: 'c2@example.com',
      Active: false,
    });
    expect(pages[0]).toMatchObject({ label: 'page 1', totalRecords: 7, recordsBefore: 0 });
    expect(pages.at(-1)?.next).toBeNull();

    const resumed = await read(options, pages[1]?.next ?? null);
    expect(resumed.flatMap((p) => p.records).map((r) => (r as { Id: number }).Id)).toEqual([7]);
    expect(resumed[0]).toMatchObject({ label: 'page 3', recordsBefore: 6 });

    // A checkpoint made for another request starts over instead of resuming at a page that means another thing.
    const changed = await read(
      { ...options, request: { Page: '{page}', PageSize: 2 } },
      pages[1]?.next ?? null,
    );
    expect(changed[0]).toMatchObject({ label: 'page 1', recordsBefore: 0 });
  });

  it('follows continuation tokens until an answer has none, a single record read as a list', async () => {
    service = await startCustomerList(9);
    const pages = await read({
      wsdl: service.wsdlUrl,
      operation: 'ListCustomersAfter',
      request: { Token: '{token}' },
      records_path: 'Customer',
      pagination: { type: 'token', token_path: 'NextToken' },
    });
    expect(pages.map((p) => p.records.length)).toEqual([4, 4, 1]);
    expect(pages.flatMap((p) => p.records).map((r) => (r as { Id: number }).Id)).toEqual([
      1, 2, 3, 4, 5, 6, 7, 8, 9,
    ]);
    expect(pages.at(-1)?.next).toBeNull();
    expect(service.calls.ListCustomersAfter).toBe(3);
  });

  it('pages by offset', async () => {
    service = await startCustomerList(5);
    const pages = await read({
      wsdl: service.wsdlUrl,
      operation: 'ListCustomers',
      // The service counts pages; an offset of 0, 2, 4... maps onto pages of 2 as (offset / 2) + 1.
      request: { Page: '{offset}', PageSize: 1 },
      records_path: 'Customers/Customer',
      pagination: { type: 'offset', start: 1 },
    });
    expect(pages.flatMap((p) => p.records).map((r) => (r as { Id: number }).Id)).toEqual([1, 2, 3, 4, 5]);
  });

  it('names a records path that is not in the output schema before calling', async () => {
    service = await startCustomerList(2);
    await expect(
      read({
        wsdl: service.wsdlUrl,
        operation: 'ListCustomers',
        request: { Page: 1, PageSize: 5 },
        records_path: 'Clients/Client',
      }),
    ).rejects.toThrow(
      "source.records_path: Clients is not an element of the operation's schema (ListCustomersResponse) of ListCustomers's output",
    );
  });
});
