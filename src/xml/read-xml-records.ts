import { TextDecoder } from 'node:util';
import { createXmlReader, type XmlLimits, XmlReadError } from './parse-xml.ts';
import { elementToObject } from './xml-object.ts';

/** Where the records are in a document, and how much of it may be held at once. */
export interface XmlRecordsOptions {
  /** Local names from the root element to a record element: `['Customers', 'Customer']`. */
  readonly recordPath: readonly string[];
  /** The namespace the root and the record elements must be in; undefined accepts any (local names only). */
  readonly namespace?: string;
  /** Paths below a record element (`Phones/Phone`) read as arrays even when they occur once. */
  readonly arrays?: readonly string[];
  /** Records handed on at once. */
  readonly batchSize: number;
  /** The encoding when the response does not say (a Content-Type charset wins, then the XML declaration). */
  readonly charset?: string;
  /**
   * What may be held at once: one record being read plus the document around the records. Depth and
   * attributes as for any document. @default 100000 elements, 16 MiB of text, depth 64
   */
  readonly limits?: Partial<XmlLimits>;
}

/** What reading a document gives: batches of records as they close, then what surrounds them. */
export type XmlRecordsEvent =
  | { readonly kind: 'records'; readonly records: unknown[] }
  /**
   * The document without its records, as a plain object under the root's name (`{Customers: {'@total':
   * '1500', NextPage: '...'}}`): where a next link, a cursor or a total may be.
   */
  | { readonly kind: 'end'; readonly body: Record<string, unknown> };

const HEAD_BYTES = 200;
const STREAM_LIMITS: Partial<XmlLimits> = { maxElements: 100_000, maxChars: 16 * 1024 * 1024, maxDepth: 64 };

/**
 * Reads records out of an XML document as it streams in, a batch at a time, so a document of any size is
 * read at the memory of one batch: each record element at `recordPath` is turned into a plain object by
 * ferry's convention (docs/xml.md) when it closes, and dropped from the tree. The consumer pulling batches
 * is what pulls bytes: a batch not yet taken stops the reading. The hardened reader refuses DTDs, entities
 * and documents past the limits; a root or record element in another namespace, or a root of another name,
 * is refused at its start tag, naming both. Throws XmlReadError.
 */
export async function* readXmlRecords(
  chunks: AsyncIterable<Uint8Array>,
  options: XmlRecordsOptions,
): AsyncGenerator<XmlRecordsEvent> {
  const { recordPath, namespace } = options;
  const arrays = new Set(options.arrays ?? []);
  const isArray = arrays.size === 0 ? undefined : (path: string) => arrays.has(path);
  const depth = recordPath.length;
  const rootName = recordPath[0];
  let pending: unknown[] = [];
  const isRecordPath = (path: readonly string[]) =>
    path.length === depth && path.every((name, i) => name === recordPath[i]);
  const inNamespace = (ns: string) => namespace === undefined || ns === namespace;
  const reader = createXmlReader(
    { ...STREAM_LIMITS, ...options.limits },
    {
      onOpen(element, path) {
        if (path.length === 1) {
          if (element.name !== rootName)
            throw new XmlReadError(
              `expected the root element ${rootName} (records at /${recordPath.join('/')}), got ${element.name}`,
              false,
            );
          if (!inNamespace(element.ns)) throw wrongNamespace(element, namespace ?? '');
        } else if (isRecordPath(path) && !inNamespace(element.ns))
          throw wrongNamespace(element, namespace ?? '');
      },
      onClose(element, path) {
        if (!isRecordPath(path)) return true;
        pending.push(elementToObject(element, isArray ? { isArray } : {}));
        return false;
      },
    },
  );
  let decoder: TextDecoder | undefined;
  // The first bytes wait until they show the XML declaration's end (or cannot hold one): it may name the
  // encoding.
  let head: Buffer | undefined = Buffer.alloc(0);
  for await (const chunk of chunks) {
    let bytes: Uint8Array = chunk;
    if (head !== undefined) {
      head = Buffer.concat([head, chunk]);
      if (head.length < HEAD_BYTES && !head.includes(0x3e)) continue;
      bytes = head;
      head = undefined;
    }
    decoder ??= new TextDecoder(encodingOf(bytes, options.charset), { fatal: true });
    reader.write(decode(decoder, bytes, true));
    while (pending.length >= options.batchSize) {
      const batch = pending.slice(0, options.batchSize);
      pending = pending.slice(options.batchSize);
      yield { kind: 'records', records: batch };
    }
  }
  if (head !== undefined && head.length > 0) {
    decoder = new TextDecoder(encodingOf(head, options.charset), { fatal: true });
    reader.write(decode(decoder, head, true));
  }
  if (decoder) reader.write(decode(decoder, new Uint8Array(0), false));
  const root = reader.close();
  if (pending.length > 0) yield { kind: 'records', records: pending };
  pending = [];
  yield { kind: 'end', body: { [root.name]: elementToObject(root, isArray ? { isArray } : {}) } };
}

function wrongNamespace(element: { ns: string; name: string }, expected: string): XmlReadError {
  const got = element.ns === '' ? 'no namespace' : `{${element.ns}}`;
  return new XmlReadError(
    `expected {${expected}}${element.name}, got ${element.ns === '' ? `${element.name} in ${got}` : `${got}${element.name}`}`,
    false,
  );
}

function decode(decoder: TextDecoder, bytes: Uint8Array, stream: boolean): string {
  try {
    return decoder.decode(bytes, { stream });
  } catch {
    throw new XmlReadError(`the bytes are not valid ${decoder.encoding}`, false);
  }
}

/**
 * The encoding to decode with: a Content-Type charset, else the XML declaration's (read from the first
 * bytes), else UTF-8. Anything TextDecoder does not know is refused by name.
 */
function encodingOf(first: Uint8Array, charset: string | undefined): string {
  const head = Buffer.from(first.subarray(0, HEAD_BYTES)).toString('latin1');
  const declared = /^\uFEFF?<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._-]+)["']/.exec(head)?.[1];
  const label = charset ?? declared ?? 'utf-8';
  try {
    new TextDecoder(label);
  } catch {
    throw new XmlReadError(`the document is in an encoding ferry cannot read (${label.slice(0, 40)})`, false);
  }
  return label;
}
