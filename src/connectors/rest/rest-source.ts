import { createHash } from 'node:crypto';
import type {
  Checkpoint,
  IncrementalCursor,
  SourceConnector,
  SourcePage,
} from '../../core/connector-types.ts';
import { type ErrorCode, FerryError } from '../../core/errors.ts';
import type { HttpResponse, Send } from '../../core/http-types.ts';
import type { CursorValue } from '../../core/ledger-types.ts';
import { redactSecrets } from '../../core/secret-registry.ts';
import { bodySnippet } from '../../http/body-snippet.ts';
import { actionOf, type ResponseRule } from '../../http/classify.ts';
import { readJson as defaultReadJson } from '../../http/read-json.ts';
import { statusText } from '../../http/status-text.ts';
import { createPaginator, type PaginationOptions } from '../../pagination/create-paginator.ts';
import { readPath } from '../../pagination/dot-path.ts';
import { createPaginationGuard, type PaginationGuard } from '../../pagination/pagination-guard.ts';
import type { Paginator } from '../../pagination/paginator.ts';
import { sourceShapeError } from '../../pagination/shape-error.ts';
import { readXmlPage, XML_ACCEPT, type XmlPageOptions } from './xml-page.ts';

/** How the REST source reads its pages. */
export interface RestSourceOptions {
  /** URL of the first page. */
  readonly url: string;
  /** The composed HTTP stack (retry, breaker, limiter, auth, transport). */
  readonly send: Send;
  /** Dot path to the records array in each body; "" means the body is the array. @default "" */
  readonly recordsPath?: string;
  /** How pages are walked. @default { type: "auto" } */
  readonly pagination?: PaginationOptions;
  /** Extra static headers sent with every page request. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Guard against endless loops; wins over pagination.maxPages. @default 100000 */
  readonly maxPages?: number;
  /** Names the source in metrics and messages ("customers"). @default "source" */
  readonly endpoint?: string;
  /** Response rules (the source's `responses`), tried before the defaults; `end_of_data` ends the read. */
  readonly rules?: readonly ResponseRule[];
  /** Dot path to the total record count announced in the body; without it, X-Total-Count is read. */
  readonly totalPath?: string;
  /** Parses a body as JSON; the http layer's safe parser unless a test swaps it. */
  readonly readJson?: (response: HttpResponse, options: { context: string }) => unknown;
  /** Reads only what changed: the cursor the engine tracks, and the query parameter `since` goes in. */
  readonly incremental?: IncrementalCursor & { readonly param: string };
  /**
   * Pages are XML documents read as they stream in (records at `xml.recordPath`), yielded a batch at a
   * time; paths (total, cursor, next URL) are dot paths into the document around the records, read by the
   * convention of docs/xml.md. Without it, pages are JSON.
   */
  readonly xml?: XmlPageOptions;
}

// Some APIs answer a page past the end with the last page again; counted paging cannot see the end
// there unless the API says how many records it holds.
const CLAMP_HINT =
  'Or it answers its last page again past the end: then set source.total_path (or let it send X-Total-Count) so the read stops at the total.';

const PAST_THE_END: ResponseRule = { status: 404, action: 'end_of_data' };

/**
 * Page-number and offset paging build the next URL themselves, so they may ask past the end, and many APIs
 * (Django REST Framework among them) answer that with a 404: unless the user's rules say how the end looks,
 * such a 404 ends the read. A short read is still caught where the source announced a total.
 */
export function withPastTheEnd(
  rules: readonly ResponseRule[],
  pagination: PaginationOptions,
): readonly ResponseRule[] {
  const computesNextPage = pagination.type === 'page_number' || pagination.type === 'offset';
  const userSaysHowItEnds = rules.some((rule) => rule.action === 'end_of_data');
  return computesNextPage && !userSaysHowItEnds ? [...rules, PAST_THE_END] : rules;
}

/**
 * A source that reads a REST API page by page as an async generator: a page is requested only when the
 * consumer asks for it (backpressure is not pulling), each yielded page carries the checkpoint of the next,
 * and pagination is guarded against loops, repeats and links to other origins.
 */
export function createRestSource(options: RestSourceOptions): SourceConnector {
  const endpoint = options.endpoint ?? 'source';
  const recordsPath = options.recordsPath ?? '';
  const pagination: PaginationOptions = options.pagination ?? { type: 'auto' };
  const maxPages = options.maxPages ?? pagination.maxPages ?? 100_000;
  const parse = options.readJson ?? defaultReadJson;
  const rules = withPastTheEnd(options.rules ?? [], pagination);
  const xml = options.xml;
  const headers = { accept: xml ? XML_ACCEPT : 'application/json', ...options.headers };
  const sourceUrl = new URL(options.url);
  // Ties a checkpoint to the URL and style it was made for: after either changes, its next URL would
  // resume somewhere else, so the read starts over (the ledger skips what was delivered).
  const sourceId = createHash('sha256')
    .update(`${pagination.type} ${sourceUrl.href}${xml ? ` xml /${xml.recordPath.join('/')}` : ''}`)
    .digest('hex')
    .slice(0, 16);

  async function* readPages({
    from,
    signal,
    since,
  }: {
    from: Checkpoint | null;
    signal: AbortSignal;
    since?: CursorValue;
  }): AsyncGenerator<SourcePage> {
    const paginator = createPaginator(pagination);
    const guard = createPaginationGuard({
      sourceUrl: sourceUrl.href,
      maxPages,
      endpoint,
      ...(pagination.type === 'page_number' || pagination.type === 'offset'
        ? { repeatHint: CLAMP_HINT }
        : {}),
    });
    const saved = from === null ? null : readCheckpoint(from);
    const resume = saved !== null && (saved.source === undefined || saved.source === sourceId);
    let pageNumber = resume ? saved.pageNumber : 1;
    // A resumed read's next URL carries the parameter already (the API's links and the paginators keep
    // the query), and it is the same value: the mark moves only when a read completes.
    let url: URL | null = resume ? checkpointUrl(saved) : paginator.first(firstUrl(since));
    // Unknown after resuming from a checkpoint that did not record it: then nothing is checked against a total.
    let recordsBefore = resume ? saved.recordsBefore : 0;
    // An XML page is yielded a batch at a time: a checkpoint inside it says how many of its records to skip.
    let skip = resume ? (saved.skip ?? 0) : 0;
    if (recordsBefore !== undefined) recordsBefore -= skip;
    guard.start(url, pageNumber);
    const walk = { guard, paginator };

    while (url !== null) {
      if (signal.aborted) return;
      const context = `fetching page ${pageNumber} of ${endpoint} from`;
      let response: HttpResponse;
      try {
        response = await options.send({
          method: 'GET',
          url: url.href,
          headers,
          endpoint,
          signal,
          ...(xml ? { streamBody: true } : {}),
        });
      } catch (error) {
        // The consumer stopped reading: end quietly, the checkpoint already says where to resume.
        if (signal.aborted) return;
        throw withPage(error, pageNumber, endpoint);
      }
      const action = actionOf({ response }, rules);
      if (action.type === 'end_of_data') {
        // Page 1 cannot lie past the end: an "end" there means the URL or its parameters are wrong.
        response.bodyStream?.cancel();
        if (pageNumber === 1) throw firstPageEnd(context, url, response, action.reason, endpoint);
        // An empty last page, so the consumer sees the read end and clears its checkpoint.
        yield { label: `page ${pageNumber}`, records: [], next: null, ...known(recordsBefore) };
        return;
      }
      if (action.type !== 'success' || response.status < 200 || response.status > 299) {
        response.bodyStream?.cancel();
        throw statusError(context, url, response, { endpoint, pageNumber });
      }
      if (xml) {
        const pageUrl = url;
        const atPage = pageNumber;
        const before = recordsBefore;
        let next: URL | null = null;
        const pages = xmlPages({ response, url: pageUrl, pageNumber: atPage, before, skip, context }, walk);
        try {
          for await (const page of pages) {
            if ('next' in page) {
              yield page;
              continue;
            }
            next = page.following;
            recordsBefore = page.recordsAfter;
          }
        } catch (error) {
          // The consumer stopped reading mid-document: the checkpoint says where to resume.
          if (signal.aborted) return;
          // The connection failed mid-document: the run stops, and the next resumes inside this page.
          const midDocument =
            error instanceof FerryError &&
            error.kind === 'transient' &&
            error.code !== 'FERRY_ERR_HTTP_BAD_RESPONSE';
          if (midDocument) throw withPage(error, atPage, endpoint);
          throw error;
        }
        skip = 0;
        url = next;
        pageNumber++;
        continue;
      }
      const body = parse(response, { context });
      const records = selectRecords(body, url, pageNumber);
      guard.checkRecords(pageNumber, url, records);
      const total = announcedTotal(response, body, url, pageNumber);
      const found = paginator.next({
        url,
        response,
        body,
        records,
        pageNumber,
        ...known(recordsBefore),
        ...(total === undefined ? {} : { total }),
      });
      const next = found === null ? null : withoutCredentials(found);
      // Checked before the page is yielded: a page whose next link is refused is not handed on, so the
      // checkpoint stays before it and nothing is half-read.
      if (next !== null) guard.checkNext(pageNumber, next, paginator.explainRepeat);
      yield {
        label: `page ${pageNumber}`,
        records,
        ...known(recordsBefore),
        ...(total === undefined ? {} : { totalRecords: total }),
        next:
          next === null
            ? null
            : {
                nextUrl: next.href,
                pageNumber: pageNumber + 1,
                source: sourceId,
                ...known(recordsBefore === undefined ? undefined : recordsBefore + records.length),
              },
      };
      if (recordsBefore !== undefined) recordsBefore += records.length;
      url = next;
      pageNumber++;
    }
  }

  /**
   * One XML page as the pages the engine gets: a batch of records at a time, each but the last with a
   * checkpoint that comes back to this page and skips what was yielded; the last with the next page's. One
   * batch is held back until the document ends, since only its end says where the next page is. Ends with
   * where the read goes on (`following`) and the records read so far.
   */
  async function* xmlPages(
    at: {
      readonly response: HttpResponse;
      readonly url: URL;
      readonly pageNumber: number;
      readonly before: number | undefined;
      readonly skip: number;
      readonly context: string;
    },
    { guard, paginator }: { readonly guard: PaginationGuard; readonly paginator: Paginator },
  ): AsyncGenerator<
    SourcePage | { readonly following: URL | null; readonly recordsAfter: number | undefined }
  > {
    if (!xml) return;
    const { response, url, pageNumber, before, skip, context } = at;
    let held: unknown[] | undefined;
    let first = true;
    // Records of this page seen so far (the skipped ones included), and how many were yielded.
    let seen = 0;
    let yielded = skip;
    const after = (n: number) => (before === undefined ? undefined : before + n);
    const within = (records: readonly unknown[], from: number) =>
      `page ${pageNumber}, records ${from + 1}-${from + records.length}`;
    for await (const event of readXmlPage(response, xml, { context, url, pageNumber, endpoint })) {
      if (event.kind === 'records') {
        let records = event.records;
        seen += records.length;
        // Records a checkpoint inside this page says were settled already.
        const drop = Math.max(0, Math.min(records.length, skip - (seen - records.length)));
        if (drop > 0) records = records.slice(drop);
        if (records.length === 0) continue;
        if (first) {
          guard.checkRecords(pageNumber, url, records);
          first = false;
        }
        if (held !== undefined) {
          yield {
            label: within(held, yielded),
            records: held,
            ...known(after(yielded)),
            next: {
              nextUrl: url.href,
              pageNumber,
              source: sourceId,
              skip: yielded + held.length,
              ...known(after(yielded + held.length)),
            },
          };
          yielded += held.length;
        }
        held = records;
        continue;
      }
      if (first) guard.checkRecords(pageNumber, url, []);
      const total = announcedTotal(response, event.body, url, pageNumber);
      const found = paginator.next({
        url,
        response,
        body: event.body,
        // The paginators count a page's records; they never look into them.
        records: new Array(seen),
        pageNumber,
        ...known(before),
        ...(total === undefined ? {} : { total }),
      });
      const following = found === null ? null : withoutCredentials(found);
      if (following !== null) guard.checkNext(pageNumber, following, paginator.explainRepeat);
      const last = held ?? [];
      yield {
        label: last.length === 0 ? `page ${pageNumber}` : within(last, yielded),
        records: last,
        ...known(after(yielded)),
        ...(total === undefined ? {} : { totalRecords: total }),
        next:
          following === null
            ? null
            : {
                nextUrl: following.href,
                pageNumber: pageNumber + 1,
                source: sourceId,
                ...known(after(seen)),
              },
      };
      yield { following, recordsAfter: after(seen) };
    }
  }

  function firstUrl(since: CursorValue | undefined): URL {
    const url = new URL(sourceUrl);
    if (options.incremental && since !== undefined)
      url.searchParams.set(options.incremental.param, String(since));
    return url;
  }

  function selectRecords(body: unknown, url: URL, pageNumber: number): unknown[] {
    const found = readPath(body, recordsPath);
    if (!found.found) throw sourceShapeError({ url, pageNumber }, 'an array of records', recordsPath, found);
    if (!Array.isArray(found.value)) {
      throw sourceShapeError({ url, pageNumber }, 'an array of records', recordsPath, { value: found.value });
    }
    return found.value;
  }

  /** The total the page announces: at totalPath when configured (then it must be there), else X-Total-Count. */
  function announcedTotal(
    response: HttpResponse,
    body: unknown,
    url: URL,
    pageNumber: number,
  ): number | undefined {
    if (options.totalPath === undefined) return totalCountOf(response);
    const found = readPath(body, options.totalPath);
    if (!found.found) {
      throw sourceShapeError({ url, pageNumber }, 'the total record count', options.totalPath, found);
    }
    const value =
      typeof found.value === 'string' && /^\d+$/.test(found.value) ? Number(found.value) : found.value;
    if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
      throw sourceShapeError({ url, pageNumber }, 'a whole number of records', options.totalPath, {
        value: found.value,
      });
    }
    return value;
  }

  function checkpointUrl(from: RestCheckpoint): URL {
    if (!URL.canParse(from.nextUrl)) {
      throw new FerryError(
        'FERRY_ERR_SOURCE_PAGINATION',
        `resuming ${endpoint} at page ${from.pageNumber}: the saved next URL is not a URL (${redactSecrets(from.nextUrl)})`,
        { details: { endpoint, pageNumber: from.pageNumber } },
      );
    }
    return new URL(from.nextUrl);
  }

  const { incremental } = options;
  return {
    readPages,
    ...(incremental ? { incremental: cursorOf(incremental) } : {}),
    close: async () => {},
  };
}

/** The cursor the engine tracks, without where the REST source puts it. */
function cursorOf({
  param: _param,
  ...cursor
}: IncrementalCursor & { readonly param: string }): IncrementalCursor {
  return cursor;
}

/** What the REST source keeps in its checkpoint: the next page's URL and where it stands. */
interface RestCheckpoint {
  readonly nextUrl: string;
  readonly pageNumber: number;
  /** Which URL and paging style it was made for. */
  readonly source?: string;
  /** Records read before the next page; undefined for a checkpoint written before it said. */
  readonly recordsBefore?: number;
  /** An XML page's records already yielded (the checkpoint is inside the page at nextUrl). */
  readonly skip?: number;
}

/**
 * Reads a saved checkpoint; ledgers written before checkpoints were opaque keep `source` and
 * `recordsBefore` under `extra`.
 */
function readCheckpoint(from: Checkpoint): RestCheckpoint {
  const extra = (from.extra ?? {}) as Record<string, unknown>;
  const source = from.source ?? extra.source;
  const recordsBefore = from.recordsBefore ?? extra.recordsBefore;
  return {
    nextUrl: typeof from.nextUrl === 'string' ? from.nextUrl : '',
    pageNumber: typeof from.pageNumber === 'number' ? from.pageNumber : 1,
    ...(typeof source === 'string' ? { source } : {}),
    ...(typeof recordsBefore === 'number' && Number.isSafeInteger(recordsBefore) && recordsBefore >= 0
      ? { recordsBefore }
      : {}),
    ...(typeof from.skip === 'number' && Number.isSafeInteger(from.skip) && from.skip > 0
      ? { skip: from.skip }
      : {}),
  };
}

/** `{ recordsBefore }` when it is known, else nothing (exactOptionalPropertyTypes). */
function known(recordsBefore: number | undefined): { recordsBefore?: number } {
  return recordsBefore === undefined ? {} : { recordsBefore };
}

/** A source that says "no more data" for its very first page is misconfigured, not empty. */
function firstPageEnd(
  context: string,
  url: URL,
  response: HttpResponse,
  reason: string,
  endpoint: string,
): FerryError {
  const error = statusError(context, url, response, { endpoint, pageNumber: 1 });
  return new FerryError(
    'FERRY_ERR_HTTP_STATUS',
    `${error.message}; the first page matched an end_of_data rule (${reason}), but a read cannot end before it starts: check source.url and its paging parameters`,
    { details: { ...error.details, action: 'end_of_data' } },
  );
}

/**
 * Drops query parameters whose value holds a registered secret: an API echoing the caller's
 * `?api_key=...` into its next link must not get the key into checkpoints and logs. The auth layer adds
 * the credential again on the request itself.
 */
function withoutCredentials(url: URL): URL {
  const out = new URL(url);
  for (const [name, value] of url.searchParams) {
    if (redactSecrets(value) !== value) out.searchParams.delete(name, value);
  }
  return out;
}

function statusError(
  context: string,
  url: URL,
  response: HttpResponse,
  where: { readonly endpoint: string; readonly pageNumber: number },
): FerryError {
  const status = response.status;
  const code: ErrorCode =
    status === 401 || status === 403
      ? 'FERRY_ERR_HTTP_UNAUTHORIZED'
      : status === 429
        ? 'FERRY_ERR_HTTP_RATE_LIMITED'
        : status >= 500 || status === 408
          ? 'FERRY_ERR_HTTP_TRANSIENT'
          : 'FERRY_ERR_HTTP_STATUS';
  const shownUrl = redactSecrets(url.href);
  const text = bodySnippet(response.body);
  const snippet = text === '' ? '' : `: ${text}`;
  const reason = statusText(status) ?? 'Unknown Status';
  // A server-given next link that answers 404 is more likely a broken link than the end of the data.
  const hint =
    status === 404 && where.pageNumber > 1
      ? '; if this API answers 404 past its last page, add `responses: [{ status: 404, action: end_of_data }]` to the source'
      : '';
  return new FerryError(code, `${context} ${shownUrl}: ${status} ${reason}${snippet}${hint}`, {
    details: { ...where, url: shownUrl, status },
  });
}

/** Prefixes an HTTP-layer error (retries exhausted, timeout, breaker...) with the page it was fetching. */
function withPage(error: unknown, pageNumber: number, endpoint: string): unknown {
  if (!(error instanceof FerryError)) return error;
  return new FerryError(error.code, `fetching page ${pageNumber} of ${endpoint}: ${error.message}`, {
    cause: error,
    details: { ...error.details, pageNumber },
  });
}

/** The X-Total-Count a source may announce (a common convention), for progress and the end-of-read check. */
function totalCountOf(response: HttpResponse): number | undefined {
  const value = response.headers['x-total-count'];
  if (value === undefined || !/^\d+$/.test(value.trim())) return undefined;
  return Number(value);
}
