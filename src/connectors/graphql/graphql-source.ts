import { createHash } from 'node:crypto';
import { setTimeout as sleepFor } from 'node:timers/promises';
import type {
  Checkpoint,
  IncrementalCursor,
  SourceConnector,
  SourcePage,
} from '../../core/connector-types.ts';
import { FerryError, hasErrorCode } from '../../core/errors.ts';
import { escapeControlCharacters } from '../../core/escape-control-characters.ts';
import type { HttpResponse, ResponseAction, Send } from '../../core/http-types.ts';
import type { CursorValue, Reason } from '../../core/ledger-types.ts';
import { redactSecrets } from '../../core/secret-registry.ts';
import { readPath } from '../../pagination/dot-path.ts';
import { sourceShapeError } from '../../pagination/shape-error.ts';
import { type BackoffOptions, fullJitterDelay } from '../../resilience/backoff.ts';
import { describeErrors, type ErrorClass, type GraphqlAnswer } from './graphql-errors.ts';
import {
  actionOfResponse,
  type ClassOf,
  classOfAnswer,
  graphqlRequest,
  requireAnswer,
  serverSaid,
} from './graphql-exchange.ts';
import type { GraphqlOperation } from './graphql-operation.ts';
import { rejectsOf } from './record-errors.ts';
import type { GraphqlPagination } from './source-options.ts';

/** How the GraphQL source reads its pages. */
export interface GraphqlSourceSettings {
  readonly url: string;
  /** The composed HTTP stack (retry, auth, limits, classification, transport). */
  readonly send: Send;
  readonly operation: GraphqlOperation;
  /** Static variables sent with every page. */
  readonly variables: Readonly<Record<string, unknown>>;
  /** Dot path to the records list in `data`. */
  readonly recordsPath: string;
  readonly pagination: GraphqlPagination;
  /** Dot path to the total record count in `data`. */
  readonly totalPath?: string | undefined;
  readonly partialData: { readonly retries: number; readonly stillFailing: 'quarantine' | 'fail' };
  readonly classOf: ClassOf;
  /** The body reading the stack was given, for responses the stack did not classify. */
  readonly classifyBody: (response: HttpResponse) => ResponseAction | undefined;
  readonly headers?: Readonly<Record<string, string>>;
  /** Names the source in metrics and messages. @default "source" */
  readonly endpoint?: string;
  /** Waits between asking again for a page that came back partial. */
  readonly backoff?: BackoffOptions;
  /** Waits `ms` unless the signal aborts first; injectable so tests need no real time. */
  readonly sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Reads only what changed: `since` goes in `variable` on every page of a read. */
  readonly incremental?: IncrementalCursor & { readonly variable: string };
}

/** Where a read stands: the page about to be asked for. */
interface ReadPosition {
  /** 1-based number of the page, for messages. */
  readonly page: number;
  /** Relay: the endCursor of the page before (null for the first page). */
  readonly cursor: string | null;
  /** Offset paging: records before this page. */
  readonly offset: number;
  /** Records of the read before this page, when known. */
  readonly recordsBefore: number | undefined;
}

const START: ReadPosition = { page: 1, cursor: null, offset: 0, recordsBefore: 0 };
const MAX_CURSOR_SHOWN = 200;

async function defaultSleep(ms: number, signal: AbortSignal): Promise<void> {
  try {
    await sleepFor(ms, undefined, { signal });
  } catch {
    // Aborted: the caller checks the signal.
  }
}

/**
 * A source that reads a GraphQL API page by page as an async generator: Relay cursors, offsets or one
 * page. Each page's checkpoint is the cursor or offset of the next, tied to a hash of the operation, its
 * variables and the records path, so a changed query starts over. Errors in a 200 are read: a request
 * that failed as a whole goes through the HTTP stack's classification (retried, refreshed, or fatal); a
 * page whose errors point into some records is asked for again while those errors say "retry", then those
 * records are quarantined with the error and its field, and the rest flows on.
 */
export function createGraphqlSource(settings: GraphqlSourceSettings): SourceConnector {
  const endpoint = settings.endpoint ?? 'source';
  const { pagination, operation } = settings;
  const recordsSegments = settings.recordsPath.split('.');
  const edges = recordsSegments.at(-1) === 'edges';
  const pageInfoPath =
    pagination.type === 'relay'
      ? (pagination.page_info_path ?? [...recordsSegments.slice(0, -1), 'pageInfo'].join('.'))
      : '';
  const maxPages = pagination.type === 'none' ? 1 : pagination.max_pages;
  const sleep = settings.sleep ?? defaultSleep;
  const headers = settings.headers ?? {};
  const sourceId = createHash('sha256')
    .update(
      JSON.stringify([
        settings.url,
        operation.text,
        operation.operationName ?? null,
        settings.variables,
        settings.recordsPath,
        pagination.type,
      ]),
    )
    .digest('hex')
    .slice(0, 16);

  function resumeFrom(from: Checkpoint | null): ReadPosition {
    if (from === null || from.source !== sourceId) return START;
    const page =
      typeof from.page === 'number' && Number.isSafeInteger(from.page) && from.page > 1 ? from.page : 2;
    const recordsBefore =
      typeof from.recordsBefore === 'number' &&
      Number.isSafeInteger(from.recordsBefore) &&
      from.recordsBefore >= 0
        ? from.recordsBefore
        : undefined;
    if (pagination.type === 'relay' && typeof from.cursor === 'string' && from.cursor !== '') {
      return { page, cursor: from.cursor, offset: 0, recordsBefore };
    }
    if (
      pagination.type === 'offset' &&
      typeof from.offset === 'number' &&
      Number.isSafeInteger(from.offset)
    ) {
      return { page, cursor: null, offset: from.offset, recordsBefore: from.offset };
    }
    return START;
  }

  function variablesFor(position: ReadPosition, since: CursorValue | undefined): Record<string, unknown> {
    const variables: Record<string, unknown> = { ...settings.variables };
    // A filter, not a position: the same value on every page of the read.
    if (settings.incremental && since !== undefined) variables[settings.incremental.variable] = since;
    if (pagination.type === 'relay') {
      if (position.cursor !== null) variables[pagination.cursor_variable] = position.cursor;
      if (pagination.page_size !== undefined) variables[pagination.page_size_variable] = pagination.page_size;
    } else if (pagination.type === 'offset') {
      variables[pagination.offset_variable] = position.offset;
      if (pagination.page_size !== undefined) variables[pagination.limit_variable] = pagination.page_size;
    }
    return variables;
  }

  function labelOf(position: ReadPosition): string {
    if (pagination.type === 'relay' && position.cursor !== null) {
      return `page ${position.page} (after cursor ${shown(position.cursor)})`;
    }
    if (pagination.type === 'offset') return `page ${position.page} (offset ${position.offset})`;
    return `page ${position.page}`;
  }

  /** Asks for one page, again while records in it come back as errors worth retrying; undefined when aborted. */
  async function fetchPage(
    position: ReadPosition,
    since: CursorValue | undefined,
    signal: AbortSignal,
  ): Promise<{ answer: GraphqlAnswer; records: unknown[]; retried: number } | undefined> {
    const label = labelOf(position);
    const context = `fetching ${label} of ${endpoint} from`;
    for (let attempt = 0; ; attempt++) {
      let response: HttpResponse;
      try {
        response = await settings.send(
          graphqlRequest({
            url: settings.url,
            operation,
            variables: variablesFor(position, since),
            headers,
            endpoint,
            signal,
          }),
        );
      } catch (error) {
        if (signal.aborted) return undefined;
        throw withPage(error, label);
      }
      const action = actionOfResponse(response, settings.classifyBody);
      if (action.type !== 'success' && action.type !== 'ignore')
        throw refusal(context, response, action, position);
      const answer = requireAnswer(response, context);
      if (!answer.hasData || answer.data === null) {
        // The stack lets a whole failure through only when a rule said success: still nothing to read.
        throw wholeFailure(context, response, answer, position);
      }
      if (answer.errors.length === 0)
        return { answer, records: recordsIn(answer, response, position), retried: attempt };
      const classes = answer.errors.map((error) => settings.classOf(error, answer));
      const passing = classes.every((c) => c === 'retry' || c === 'rate_limited');
      if (passing && attempt < settings.partialData.retries) {
        await sleep(fullJitterDelay(attempt + 1, settings.backoff), signal);
        if (signal.aborted) return undefined;
        continue;
      }
      const records = recordsIn(answer, response, position);
      if (settings.partialData.stillFailing === 'fail') {
        throw new FerryError(
          'FERRY_ERR_GRAPHQL_ERRORS',
          `${context} ${redactSecrets(settings.url)}: the page came back with errors (${describeErrors(answer.errors)})${
            attempt > 0 ? ` after asking ${attempt + 1} times` : ''
          }; partial_data.still_failing is fail`,
          { details: { endpoint, page: position.page, errors: answer.errors.length } },
        );
      }
      return { answer, records, retried: attempt };
    }
  }

  /** The records list of a page, or why there is none. */
  function recordsIn(answer: GraphqlAnswer, response: HttpResponse, position: ReadPosition): unknown[] {
    const found = readPath(answer.data, settings.recordsPath);
    if (found.found && Array.isArray(found.value)) return found.value;
    if (answer.errors.length > 0) {
      throw new FerryError(
        'FERRY_ERR_GRAPHQL_ERRORS',
        `fetching ${labelOf(position)} of ${endpoint} from ${redactSecrets(response.url)}: no records at ${settings.recordsPath}, and errors: ${describeErrors(answer.errors)}`,
        { details: { endpoint, page: position.page, path: settings.recordsPath } },
      );
    }
    throw sourceShapeError(
      { url: settings.url, pageNumber: position.page },
      'a list of records',
      `data.${settings.recordsPath}`,
      found.found ? { value: found.value } : { missingAt: `data.${found.missingAt}` },
    );
  }

  /** Errors of a whole failure that are about the saved cursor: a cursor the server no longer honours. */
  function refusesCursor(response: HttpResponse, position: ReadPosition): boolean {
    if (pagination.type !== 'relay' || position.cursor === null) return false;
    const answer = safeAnswer(response);
    if (!answer) return false;
    const classes = answer.errors.map((error) => settings.classOf(error, answer));
    if (!classes.some((c) => c === 'refused' || c === 'invalid')) return false;
    const cursor = position.cursor;
    return answer.errors.some(
      (error) =>
        error.extensions?.argument === pagination.cursor_variable ||
        error.message.includes(cursor.slice(0, 40)) ||
        /\bcursor\b/i.test(error.message),
    );
  }

  function refusal(
    context: string,
    response: HttpResponse,
    action: ResponseAction,
    position: ReadPosition,
  ): FerryError {
    const where = `${context} ${redactSecrets(response.url)}`;
    const said = serverSaid(response);
    const details = {
      endpoint,
      page: position.page,
      status: response.status,
      action: action.type,
      ...(refusesCursor(response, position) ? { cursorRefused: true } : {}),
    };
    if (action.type === 'refresh_auth') {
      return new FerryError(
        'FERRY_ERR_HTTP_UNAUTHORIZED',
        `${where}: credentials refused even after refreshing them (${response.status}): ${said}`,
        { details },
      );
    }
    const answer = safeAnswer(response);
    const errorClass: ErrorClass | undefined =
      answer && answer.errors.length > 0 ? classOfAnswer(answer, settings.classOf) : undefined;
    if (errorClass === 'invalid' || errorClass === 'refused') {
      return new FerryError(
        'FERRY_ERR_GRAPHQL_INVALID',
        `${where}: the API refused the query (${response.status}): ${said}; check source.query and source.variables against the API's schema`,
        { details },
      );
    }
    if (errorClass !== undefined || response.status < 300) {
      return new FerryError('FERRY_ERR_GRAPHQL_ERRORS', `${where}: ${response.status}: ${said}`, { details });
    }
    return new FerryError(
      'FERRY_ERR_HTTP_STATUS',
      `${where}: ${response.status} (${'reason' in action ? action.reason : action.type}): ${said}; check source.url`,
      { details },
    );
  }

  function wholeFailure(
    context: string,
    response: HttpResponse,
    answer: GraphqlAnswer,
    position: ReadPosition,
  ): FerryError {
    const errorClass = classOfAnswer(answer, settings.classOf);
    return refusal(context, response, { type: 'fail', reason: `GraphQL errors (${errorClass})` }, position);
  }

  async function* readPages({
    from,
    signal,
    since,
  }: {
    from: Checkpoint | null;
    signal: AbortSignal;
    since?: CursorValue;
  }): AsyncGenerator<SourcePage> {
    let position = resumeFrom(from);
    let resumedCursor = position.cursor !== null;
    let note = '';
    const firstPage = position.page;
    const seenCursors = new Set<string>();
    if (position.cursor !== null) seenCursors.add(position.cursor);

    for (;;) {
      if (signal.aborted) return;
      if (position.page - firstPage >= maxPages) {
        throw new FerryError(
          'FERRY_ERR_SOURCE_PAGINATION',
          `reading ${endpoint} from ${redactSecrets(settings.url)}: more than ${maxPages} pages; raise pagination.max_pages if the source is that large`,
          { details: { endpoint, page: position.page } },
        );
      }
      let fetched: Awaited<ReturnType<typeof fetchPage>>;
      try {
        fetched = await fetchPage(position, since, signal);
      } catch (error) {
        // A saved cursor the server no longer honours (they expire): start over; the ledger skips what
        // was delivered, so nothing is sent twice.
        if (
          resumedCursor &&
          hasErrorCode(error, 'FERRY_ERR_GRAPHQL_INVALID') &&
          error.details.cursorRefused
        ) {
          resumedCursor = false;
          note = ` (started over: the saved cursor was refused: ${escapeControlCharacters(error.message).slice(0, 300)})`;
          position = START;
          seenCursors.clear();
          continue;
        }
        throw error;
      }
      resumedCursor = false;
      if (fetched === undefined) return;
      const { answer, records: raw } = fetched;
      const data = answer.data;
      const records: unknown[] = new Array(raw.length);
      const positions: string[] = new Array(raw.length);
      for (let i = 0; i < raw.length; i++) {
        const entry = raw[i];
        if (edges) {
          const edge =
            entry !== null && typeof entry === 'object' ? (entry as Record<string, unknown>) : undefined;
          records[i] = edge?.node ?? null;
          positions[i] =
            typeof edge?.cursor === 'string' ? `cursor ${shown(edge.cursor)}` : recordPosition(position, i);
        } else {
          records[i] = entry;
          positions[i] = recordPosition(position, i);
        }
      }
      const rejects = rejectsOf(answer.errors, recordsSegments, edges, records.length);
      for (const index of rejects.keys()) {
        // A record that came back null has no key of its own, and every null would share one content key:
        // its dead letter holds what was read at its place, which its position tells apart.
        if (records[index] === null || records[index] === undefined) {
          records[index] =
            edges && raw[index] !== null && typeof raw[index] === 'object'
              ? raw[index]
              : { at: positions[index], node: null };
        }
      }
      let total: number | undefined;
      let nextPosition: ReadPosition | null;
      try {
        total = totalIn(data, position);
        nextPosition = nextOf(data, records.length, position, total, seenCursors);
      } catch (error) {
        throw withErrors(error, answer);
      }
      const label = `${labelOf(position)}${fetched.retried > 0 ? ` (asked ${fetched.retried + 1} times: records came back as errors)` : ''}${note}`;
      note = '';
      const recordsBefore = position.recordsBefore;
      const page: SourcePage = {
        records,
        positions,
        ...(rejects.size > 0
          ? { rejects: rejects as ReadonlyMap<number, readonly [Reason, ...Reason[]]> }
          : {}),
        label,
        next: nextPosition === null ? null : checkpointOf(nextPosition),
        ...(total === undefined ? {} : { totalRecords: total }),
        ...(recordsBefore === undefined ? {} : { recordsBefore }),
      };
      yield page;
      if (nextPosition === null) return;
      position = nextPosition;
    }
  }

  function recordPosition(position: ReadPosition, index: number): string {
    if (pagination.type === 'offset') return `offset ${position.offset + index}`;
    const at = `${settings.recordsPath}[${index}]`;
    if (pagination.type === 'relay') {
      return position.cursor === null
        ? `${at} of the first page`
        : `${at} after cursor ${shown(position.cursor)}`;
    }
    return at;
  }

  function totalIn(data: unknown, position: ReadPosition): number | undefined {
    if (settings.totalPath === undefined) return undefined;
    const found = readPath(data, settings.totalPath);
    const value = found.found ? found.value : undefined;
    if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
    throw sourceShapeError(
      { url: settings.url, pageNumber: position.page },
      'a whole number of records',
      `data.${settings.totalPath}`,
      found.found ? { value: found.value } : { missingAt: `data.${found.missingAt}` },
    );
  }

  /** The position after this page, or null at the end. */
  function nextOf(
    data: unknown,
    count: number,
    position: ReadPosition,
    total: number | undefined,
    seenCursors: Set<string>,
  ): ReadPosition | null {
    const recordsBefore = position.recordsBefore === undefined ? undefined : position.recordsBefore + count;
    if (pagination.type === 'none') return null;
    if (pagination.type === 'offset') {
      const offset = position.offset + count;
      if (count === 0) return null;
      if (total !== undefined && offset >= total) return null;
      if (
        pagination.end_on_short_page &&
        pagination.page_size !== undefined &&
        count < pagination.page_size
      ) {
        return null;
      }
      return { page: position.page + 1, cursor: null, offset, recordsBefore: offset };
    }
    const info = readPath(data, pageInfoPath);
    const pageInfo =
      info.found && info.value !== null && typeof info.value === 'object'
        ? (info.value as Record<string, unknown>)
        : undefined;
    const hasNextPage = pageInfo?.hasNextPage;
    if (typeof hasNextPage !== 'boolean') {
      throw new FerryError(
        'FERRY_ERR_SOURCE_SHAPE',
        `${labelOf(position)} of ${endpoint} from ${redactSecrets(settings.url)}: expected a boolean at data.${pageInfoPath}.hasNextPage; select pageInfo { hasNextPage endCursor } in the query, or set pagination.page_info_path`,
        { details: { endpoint, page: position.page, path: `${pageInfoPath}.hasNextPage` } },
      );
    }
    if (!hasNextPage) return null;
    const endCursor = pageInfo?.endCursor;
    if (typeof endCursor !== 'string' || endCursor === '') {
      throw new FerryError(
        'FERRY_ERR_SOURCE_PAGINATION',
        `${labelOf(position)} of ${endpoint}: hasNextPage is true but data.${pageInfoPath}.endCursor is ${endCursor === '' ? 'empty' : 'missing or null'}, so the next page cannot be asked for; select endCursor in the query`,
        { details: { endpoint, page: position.page } },
      );
    }
    if (seenCursors.has(endCursor)) {
      throw new FerryError(
        'FERRY_ERR_SOURCE_PAGINATION',
        `${labelOf(position)} of ${endpoint}: endCursor ${shown(endCursor)} was seen before, so the read would loop; the API does not advance its cursor`,
        { details: { endpoint, page: position.page } },
      );
    }
    seenCursors.add(endCursor);
    return { page: position.page + 1, cursor: endCursor, offset: 0, recordsBefore };
  }

  function checkpointOf(position: ReadPosition): Checkpoint {
    return {
      source: sourceId,
      page: position.page,
      ...(pagination.type === 'relay' ? { cursor: position.cursor } : { offset: position.offset }),
      ...(position.recordsBefore === undefined ? {} : { recordsBefore: position.recordsBefore }),
    };
  }

  const { incremental } = settings;
  return {
    readPages,
    ...(incremental
      ? {
          incremental: {
            field: incremental.field,
            type: incremental.type,
            lookback: incremental.lookback,
            ...(incremental.start === undefined ? {} : { start: incremental.start }),
          },
        }
      : {}),
    close: async () => {},
  };
}

/** A cursor as it appears in messages and positions: redacted, no control characters, bounded. */
function shown(cursor: string): string {
  const text = escapeControlCharacters(redactSecrets(cursor));
  return text.length > MAX_CURSOR_SHOWN ? `${text.slice(0, MAX_CURSOR_SHOWN)}…` : text;
}

function safeAnswer(response: HttpResponse): GraphqlAnswer | undefined {
  try {
    return requireAnswer(response, '');
  } catch {
    return undefined;
  }
}

/** Adds which page was being fetched to a transport or retry error, keeping its code. */
function withPage(error: unknown, label: string): unknown {
  if (error instanceof FerryError && !error.message.includes(label)) {
    return new FerryError(error.code, `${label}: ${error.message}`, { cause: error, details: error.details });
  }
  return error;
}

/** A shape or paging error on a page that also carried errors: those errors are the likely cause. */
function withErrors(error: unknown, answer: GraphqlAnswer): unknown {
  if (!(error instanceof FerryError) || answer.errors.length === 0) return error;
  return new FerryError(
    'FERRY_ERR_GRAPHQL_ERRORS',
    `${error.message}; the page came with errors: ${describeErrors(answer.errors)}`,
    {
      cause: error,
      details: error.details,
    },
  );
}
