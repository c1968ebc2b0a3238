import { originOf } from '../../auth/origin.ts';
import { sourceHttp } from '../../config/http-options.ts';
import { toIncrementalCursor } from '../../config/incremental-schema.ts';
import { toPaginationConfig } from '../../config/pagination-schema.ts';
import { defineSource } from '../spec.ts';
import { createRestSource, withPastTheEnd } from './rest-source.ts';
import { restSourceOptions, xmlDotPath, xmlRecordPath } from './source-options.ts';

const ENDPOINT = 'source';

/** `type: rest` as a source: a JSON API read page by page. */
export const restSource = defineSource({
  type: 'rest',
  options: restSourceOptions,
  docs: {
    title: 'REST source',
    summary:
      'Reads records from a JSON or XML REST API, page by page (links, cursors, page numbers, offsets).',
    description: `Requests the first page, takes the records at \`records_path\`, and follows the pagination
until the source says there is no more: a \`Link: rel="next"\` header, a next URL or cursor in the body, or
page numbers and offsets counted by ferry. The checkpoint saved after every settled page is the next page's
URL (without credentials), so a rerun resumes there; a changed \`url\` or pagination style starts over,
and the ledger skips what was delivered.

A source that announces its total (\`X-Total-Count\`, or \`total_path\` in the body) is held to it: a
complete read that returns fewer records ends the run (\`on_total_mismatch\`). Page-number and offset reads
end at a 404 past the last page unless \`responses\` say how the end looks. Pagination links to another
origin are refused, and credentials go only to the source's origin.

With \`incremental\`, a read asks only for what changed: the first page's URL gets \`param\` set to the
high-water mark of the last complete read (less the \`lookback\`), and the API is expected to answer the
records whose cursor is at or after it, oldest first. The mark advances only past settled records, when a
read completes; a record that failed without a refusal holds it back so the next read tries it again. An
API that pages by offset while records change under it can skip records: prefer one whose next links
continue after the last record read (keyset paging), as the bundled customer API's do.

With \`format: xml\`, pages are XML documents parsed as they stream in: \`records_path\` is the element path
from the root to a record element (\`/Customers/Customer\`), each record is read by the convention of
docs/xml.md (\`@id\` for an attribute, every value text), and records are handed on \`xml.batch_size\` at a
time with a checkpoint inside the page after each batch, so a document of any size is read at flat memory
(\`max_response_bytes\` still bounds it). \`total_path\`, \`cursor_path\` and \`next_url_path\` may be element
paths into the document around the records (\`/Customers/@total\`). DTDs and entities are refused, and a page
that is not the XML expected (an HTML page, a truncated document, another root or namespace) ends the read
naming the page, the URL and what was expected.`,
    example: `source:
  type: rest
  url: \${SOURCE_URL}/customers
  auth:
    type: api_key
    in: header
    name: X-API-Key
    value: \${SOURCE_API_KEY}
  records_path: data
  pagination:
    type: cursor
    cursor_path: next_cursor
    cursor_param: cursor`,
  },
  create(options, context) {
    const xml = options.format === 'xml';
    const paging = toPaginationConfig(options.pagination);
    const pagination =
      xml && paging.type === 'cursor'
        ? { ...paging, cursorPath: xmlDotPath(paging.cursorPath) }
        : xml && paging.type === 'next_url'
          ? { ...paging, nextUrlPath: xmlDotPath(paging.nextUrlPath) }
          : paging;
    // The stack classifies each response once, so it must know how this source's read ends.
    const rules = withPastTheEnd(sourceHttp(options).rules, pagination);
    const http = context.http({
      ...sourceHttp(options),
      rules,
      endpoint: ENDPOINT,
      origins: [originOf(options.url)],
    });
    const source = createRestSource({
      url: options.url,
      send: http.send,
      recordsPath: options.records_path,
      pagination,
      headers: options.headers,
      rules,
      ...(options.total_path === undefined
        ? {}
        : { totalPath: xml ? xmlDotPath(options.total_path) : options.total_path }),
      ...(xml
        ? {
            xml: {
              recordPath: xmlRecordPath(options.records_path),
              arrays: options.xml.arrays,
              batchSize: options.xml.batch_size,
              ...(options.xml.namespace === undefined ? {} : { namespace: options.xml.namespace }),
            },
          }
        : {}),
      ...(options.incremental
        ? {
            incremental: {
              ...toIncrementalCursor(options.incremental),
              param: options.incremental.param,
            },
          }
        : {}),
      endpoint: ENDPOINT,
    });
    return { ...source, onTotalMismatch: options.on_total_mismatch };
  },
});
