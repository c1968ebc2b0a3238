import { FerryError } from '../../core/errors.ts';
import type { HttpResponse } from '../../core/http-types.ts';
import { redactSecrets } from '../../core/secret-registry.ts';
import { XmlReadError } from '../../xml/parse-xml.ts';
import { readXmlRecords } from '../../xml/read-xml-records.ts';

/** How the REST source reads an XML page (`format: xml`). */
export interface XmlPageOptions {
  /** Local names from the root to a record element (`['Customers', 'Customer']`). */
  readonly recordPath: readonly string[];
  /** The namespace the root and the records must be in; undefined reads local names only. */
  readonly namespace?: string;
  /** Paths below a record read as arrays even when they occur once. */
  readonly arrays?: readonly string[];
  /** Records per yielded page. */
  readonly batchSize: number;
}

/** What reading one XML page gives: batches of records, then the document around them. */
export type XmlPageEvent =
  | { readonly kind: 'records'; readonly records: unknown[] }
  | { readonly kind: 'end'; readonly body: Record<string, unknown> };

const XML_TYPE = /^(?:application|text)\/(?:[\w.+-]+\+)?xml\s*(?:;|$)/i;

/** The Accept header an XML source sends. */
export const XML_ACCEPT = 'application/xml, text/xml;q=0.9, */*+xml;q=0.8';

/**
 * Reads a 2xx XML page as it streams in (the body the transport handed over unread), records a batch at a
 * time. What is not the XML expected (another content type, an HTML page, a truncated document, a DTD, a
 * wrong root or namespace, a page past the limits) fails with FERRY_ERR_HTTP_BAD_RESPONSE naming the page,
 * the URL and what was expected; a connection lost mid-document fails as the transport says (transient).
 */
export async function* readXmlPage(
  response: HttpResponse,
  options: XmlPageOptions,
  where: {
    readonly context: string;
    readonly url: URL;
    readonly pageNumber: number;
    readonly endpoint: string;
  },
): AsyncGenerator<XmlPageEvent> {
  const shown = redactSecrets(where.url.href);
  const expected = `XML with records at /${options.recordPath.join('/')}`;
  const fail = (problem: string, cause?: unknown) =>
    new FerryError('FERRY_ERR_HTTP_BAD_RESPONSE', `${where.context} ${shown}: ${problem}`, {
      details: {
        url: shown,
        status: response.status,
        pageNumber: where.pageNumber,
        endpoint: where.endpoint,
      },
      ...(cause === undefined ? {} : { cause }),
    });
  const contentType = response.headers['content-type'];
  if (contentType === undefined || !XML_TYPE.test(contentType.trim())) {
    response.bodyStream?.cancel();
    const sniff = response.body.subarray(0, 200).toString('utf8').trimStart().toLowerCase();
    const html =
      sniff.startsWith('<!doctype html') ||
      sniff.startsWith('<html') ||
      /text\/html/i.test(contentType ?? '');
    throw fail(
      `expected ${expected} (Content-Type application/xml, text/xml or */*+xml), got ${html ? 'an HTML page' : 'another document'} (${contentType === undefined ? 'no Content-Type' : `Content-Type ${JSON.stringify(contentType.slice(0, 100))}`})`,
    );
  }
  const charset = /;\s*charset\s*=\s*"?([A-Za-z0-9._-]+)"?/i.exec(contentType)?.[1];
  const chunks = response.bodyStream ?? oneChunk(response.body);
  try {
    yield* readXmlRecords(chunks, {
      recordPath: options.recordPath,
      batchSize: options.batchSize,
      ...(options.namespace === undefined ? {} : { namespace: options.namespace }),
      ...(options.arrays === undefined ? {} : { arrays: options.arrays }),
      ...(charset === undefined ? {} : { charset }),
    });
  } catch (error) {
    if (error instanceof XmlReadError)
      throw fail(
        error.hostile
          ? `refused the document: ${error.message}`
          : error.message.startsWith('expected')
            ? error.message
            : `${error.message} (expected ${expected})`,
        error,
      );
    throw error;
  } finally {
    response.bodyStream?.cancel();
  }
}

async function* oneChunk(body: Buffer): AsyncGenerator<Uint8Array> {
  yield body;
}
