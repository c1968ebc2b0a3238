import { randomUUID } from 'node:crypto';
import type {
  DeliveryOutcome,
  LookupResult,
  OutgoingRecord,
  ProbeResult,
  SinkConnector,
} from '../../core/connector-types.ts';
import { errorKindOf, FerryError } from '../../core/errors.ts';
import type { HttpRequest, HttpResponse, ResponseAction, Send } from '../../core/http-types.ts';
import { redactSecrets } from '../../core/secret-registry.ts';
import { bodySnippet } from '../../http/body-snippet.ts';
import { classify } from '../../http/classify.ts';
import { statusText } from '../../http/status-text.ts';
import { type BodyFormat, jsonFormat } from './body-format.ts';
import { containsSent, fillUrlTemplate, readLookupAnswer, templateFields } from './lookup-match.ts';

/** How the REST sink finds a record at the destination. */
export interface RestLookupOptions {
  /** GET URL template (`{key}` or `{bodyField}`): a single resource, or a collection filtered by a query. */
  readonly url: string;
  /** Where the list is in a wrapped collection answer ("data"); "" for a resource or a bare list. @default "" */
  readonly recordsPath?: string;
  /** Dot paths of body fields not compared (the mapping's `compare: false`). @default [] */
  readonly ignoreFields?: readonly string[];
}

/** How the REST sink writes a new version of a record it delivered before. */
export interface RestUpdateOptions {
  /** URL template of the record (`{key}` or `{bodyField}`). */
  readonly url: string;
  readonly method: 'PUT' | 'PATCH';
  /** GET the record first: ETag for If-Match, kept fields, "already holds it", "gone, create again". */
  readonly fetchFirst: boolean;
  /** Dot paths of body fields sent as the destination holds them. */
  readonly keep: readonly string[];
}

/** How the REST sink removes a record deleted at the source. */
export interface RestDeleteOptions {
  /** URL template of the record (`{key}` or `{bodyField}`). */
  readonly url: string;
}

/** How the REST sink talks to its destination. */
export interface RestSinkOptions {
  readonly url: string;
  readonly method: 'POST' | 'PUT' | 'PATCH';
  /**
   * The composed HTTP stack (retry, breaker, limiter, auth, transport). Its retry layer must ask the sink's
   * `canResend` before resending a POST whose outcome is ambiguous, and, when a lookup is configured, must
   * not treat the idempotency key as making that resend safe: the destination may ignore the key.
   */
  readonly send: Send;
  readonly headers?: Readonly<Record<string, string>>;
  /** Header carrying the record's idempotency key; null when the destination honours none. */
  readonly idempotencyHeader: string | null;
  /** How to find a record at the destination; without it, unclear outcomes are never resent unkeyed. */
  readonly lookup?: RestLookupOptions;
  /**
   * How a response is judged when the stack did not already (a stack built by the runtime classifies every
   * response once, with the connector's rules, and the decision travels on the response). @default classify()
   */
  readonly classify?: (response: HttpResponse) => ResponseAction;
  /** Names the endpoint in metrics and messages. @default "destination" */
  readonly endpoint?: string;
  /** How updates are written; without it, a record with operation 'update' is refused as a bug. */
  readonly update?: RestUpdateOptions;
  /** How deletes are written; without it, a record with operation 'delete' is refused as a bug. */
  readonly remove?: RestDeleteOptions;
  /** How bodies are written and answers read: JSON, or XML by ferry's convention. @default JSON */
  readonly format?: BodyFormat;
}

/** The REST sink, plus the hook its HTTP stack's retry layer asks before an ambiguous resend. */
export interface RestSink extends SinkConnector {
  /**
   * Whether a request this sink sent may be resent after an outcome that may have stored it: true only
   * when a lookup says the record is not at the destination (what the lookup found settles the record).
   */
  canResend(request: HttpRequest): Promise<boolean>;
}

const MAX_REASON_BODY = 2000;

/** What one send learnt along the way: a lookup made before a resend was refused. */
interface SendState {
  readonly record: OutgoingRecord;
  /** The JSON body, serialised once for every attempt and comparison. */
  readonly body: string;
  lookedUp?: LookupResult;
  /** How to look this write up before a resend, when it is not the create lookup (an update). */
  readonly lookUp?: () => Promise<LookupResult>;
}

/** Rounds of read, then conditional write, before an update that keeps meeting 412s fails. */
const UPDATE_ROUNDS = 3;

/** A sink that sends each record as one HTTP request and reports what became of it. */
export function createRestSink(options: RestSinkOptions): RestSink {
  const endpoint = options.endpoint ?? 'destination';
  const format = options.format ?? jsonFormat;
  const failed = (response: HttpResponse, why: string) => failedOutcome(response, why, format);
  const baseHeaders = { 'content-type': format.contentType, accept: format.accept, ...options.headers };
  /** The mapped value as the destination gives it back, for URL templates and comparisons. */
  const asStored = (value: unknown) => toJsonObject(format.normalize(value));
  const lookupOptions = options.lookup;
  const ignore = new Set(lookupOptions?.ignoreFields ?? []);
  const identityFields = lookupOptions ? templateFields(lookupOptions.url) : [];
  // The retry layer hands canResend the very request object send() made: this finds its record.
  const sending = new WeakMap<HttpRequest, SendState>();

  const judge = (response: HttpResponse): ResponseAction =>
    response.action ?? options.classify?.(response) ?? classify({ response });

  function requestFor(
    record: OutgoingRecord,
    body: string,
    method: HttpRequest['method'] = options.method,
    url: string = options.url,
  ): HttpRequest {
    const headers = options.idempotencyHeader
      ? { ...baseHeaders, [options.idempotencyHeader.toLowerCase()]: record.idempotencyKey }
      : baseHeaders;
    return {
      method,
      url,
      headers,
      body,
      endpoint,
      ...(record.signal ? { signal: record.signal } : {}),
    };
  }

  async function lookup(record: OutgoingRecord): Promise<LookupResult> {
    if (!lookupOptions) return { found: false };
    const sent = asStored(record.value);
    const url = fillUrlTemplate(lookupOptions.url, record.key, sent);
    const response = await options.send({
      method: 'GET',
      url,
      headers: { accept: format.accept },
      endpoint: `${endpoint}_lookup`,
      ...(record.signal ? { signal: record.signal } : {}),
    });
    if (response.status === 404) return { found: false };
    if (response.status < 200 || response.status > 299) {
      throw new FerryError(
        'FERRY_ERR_HTTP_TRANSIENT',
        `looking up record ${record.key} at ${redactSecrets(url)}: unexpected status ${response.status}`,
        { details: { status: response.status } },
      );
    }
    const answer = format.parse(response, `looking up record ${record.key}`);
    const recordsPath = lookupOptions.recordsPath ?? '';
    // An XML body is one element ({order: {...}}); a collection lists the records' contents, so they are
    // compared with the content of the one sent.
    const listed =
      format.name === 'xml' && recordsPath !== '' ? withoutRoot(sent, identityFields, ignore) : undefined;
    const result = readLookupAnswer(listed?.sent ?? sent, answer, {
      recordsPath,
      identityFields: listed?.identityFields ?? identityFields,
      ignore: listed?.ignore ?? ignore,
    });
    if ('invalid' in result) {
      // Every record would be looked up the same way: a configuration problem, not this record's.
      throw new FerryError(
        'FERRY_ERR_CONFIG_INVALID',
        `looking up record ${record.key} at ${redactSecrets(url)}: ${result.invalid}; check destination.lookup`,
        { details: { field: 'destination.lookup.records_path' } },
      );
    }
    return result;
  }

  async function canResend(request: HttpRequest): Promise<boolean> {
    const state = sending.get(request);
    if (state?.lookUp) {
      // An update: resent unless the destination holds it already.
      state.lookedUp = await state.lookUp();
      return !(state.lookedUp.found && state.lookedUp.matches);
    }
    if (!state || !lookupOptions) return false;
    state.lookedUp = await lookup(state.record);
    return !state.lookedUp.found;
  }

  /** The destination said the record or its key exists: compare what it holds with what we sent. */
  async function settleConflict(
    record: OutgoingRecord,
    response: HttpResponse,
    keyReused: boolean,
  ): Promise<DeliveryOutcome> {
    const echoed = keyReused
      ? undefined
      : echoesSent(format.normalize(record.value), response, ignore, format);
    if (echoed !== undefined) return delivered('the destination already had this record', echoed);
    if (!lookupOptions) {
      return failed(
        response,
        keyReused
          ? 'the idempotency key was used before with another body; configure destination.lookup so ferry can reconcile'
          : 'the destination holds a different record with this key',
      );
    }
    const found = await lookup(record);
    if (found.found && found.matches) {
      return delivered('reconciled: the destination already had this record', found.body);
    }
    if (found.found) return holdsDifferent(response.status);
    return keyReused
      ? { ...failed(response, 'the idempotency key was used before with another body'), newKeySafe: true }
      : failed(response, 'the destination reports a conflict but the lookup does not find the record');
  }

  async function send(record: OutgoingRecord): Promise<DeliveryOutcome> {
    if (record.operation === 'update') return update(record);
    if (record.operation === 'delete') return remove(record);
    return create(record);
  }

  /** What the destination holds at `url`: its body and strong ETag, or null when it has none. */
  async function fetchCurrent(
    record: OutgoingRecord,
    url: string,
  ): Promise<{ body: unknown; etag: string | undefined } | null> {
    const response = await options.send({
      method: 'GET',
      url,
      headers: { accept: format.accept },
      endpoint: `${endpoint}_lookup`,
      ...(record.signal ? { signal: record.signal } : {}),
    });
    if (response.status === 404 || response.status === 410) return null;
    if (response.status < 200 || response.status > 299) {
      throw new FerryError(
        'FERRY_ERR_HTTP_TRANSIENT',
        `reading record ${record.key} at ${redactSecrets(url)} before updating it: unexpected status ${response.status}`,
        { details: { status: response.status } },
      );
    }
    const etag = response.headers.etag;
    return {
      body: format.parse(response, `reading record ${record.key} before updating it`),
      // If-Match compares strongly: a weak ETag would refuse every update.
      etag: etag !== undefined && !etag.startsWith('W/') ? etag : undefined,
    };
  }

  /**
   * Writes a new version of a record the destination holds: read it (ETag, kept fields), then a
   * conditional PUT or PATCH under the version's key. A 412 means it changed since it was read (an
   * earlier attempt of this very write, or another writer): read again. One the destination no longer has
   * is created again (POST, under the version's key).
   */
  async function update(record: OutgoingRecord): Promise<DeliveryOutcome> {
    const how = options.update;
    if (!how)
      throw new FerryError('FERRY_ERR_INTERNAL', `record ${record.key}: an update, but on_change has no url`);
    const url = fillUrlTemplate(how.url, record.key, asStored(record.value));
    let sends = 0;
    for (let round = 1; round <= UPDATE_ROUNDS; round++) {
      let value = record.value;
      let etag: string | undefined;
      if (how.fetchFirst) {
        const current = await fetchCurrent(record, url);
        if (current === null) return recreate(record, sends);
        value = withKept(record.value, current.body, how.keep);
        if (containsSent(format.normalize(value), current.body)) {
          return delivered(sends === 0 ? 'the destination already holds this version' : 'updated');
        }
        etag = current.etag;
      }
      const body = format.serialize(value);
      const plain = requestFor(record, body, how.method, url);
      const request: HttpRequest =
        etag === undefined ? plain : { ...plain, headers: { ...plain.headers, 'if-match': etag } };
      const state: SendState = {
        record,
        body,
        lookUp: async () => {
          const now = await fetchCurrent(record, url);
          return now === null
            ? { found: false }
            : { found: true, matches: containsSent(format.normalize(value), now.body), body: now.body };
        },
      };
      sending.set(request, state);
      const response = await sendWrite(request, state);
      sends++;
      if ('state' in response) return response;
      if (response.status === 412 && how.fetchFirst) continue;
      if (response.status === 404 || response.status === 410) return recreate(record, sends);
      return writeOutcome(record, response, state, 'updating', sends);
    }
    return {
      state: 'failed',
      attempts: sends,
      reasons: [
        {
          code: 'destination_412',
          message: `the record changed at the destination between reading and writing it, ${UPDATE_ROUNDS} times in a row (412 Precondition Failed)`,
        },
      ],
    };
  }

  /** Removes a record deleted at the source; one the destination does not have (404, 410) is deleted. */
  async function remove(record: OutgoingRecord): Promise<DeliveryOutcome> {
    const how = options.remove;
    if (!how)
      throw new FerryError('FERRY_ERR_INTERNAL', `record ${record.key}: a delete, but on_delete has no url`);
    const url = fillUrlTemplate(how.url, record.key, asStored(record.value));
    const { body: _none, headers, ...rest } = requestFor(record, '', 'DELETE', url);
    const { 'content-type': _type, ...withoutType } = headers;
    const state: SendState = { record, body: '' };
    const response = await sendWrite({ ...rest, headers: withoutType }, state);
    if ('state' in response) return response;
    if (response.status === 404 || response.status === 410)
      return delivered('the destination did not have it');
    return writeOutcome(record, response, state, 'deleting', 1);
  }

  /** The record is gone at the destination: created again, under the version's key (not the first create's). */
  async function recreate(record: OutgoingRecord, sends: number): Promise<DeliveryOutcome> {
    const outcome = await create({ ...record, operation: 'create' });
    const attempts = sends + outcome.attempts;
    return outcome.state === 'delivered'
      ? { ...outcome, attempts, note: 'created again: the destination no longer had it' }
      : { ...outcome, attempts };
  }

  /** Sends an update or a delete; a network failure comes back as an outcome. */
  async function sendWrite(request: HttpRequest, state: SendState): Promise<HttpResponse | DeliveryOutcome> {
    try {
      return await options.send(request);
    } catch (error) {
      if (state.lookedUp?.found && state.lookedUp.matches)
        return delivered('the outcome was unclear; a read found it written');
      if (errorKindOf(error) === 'transient' || errorKindOf(error) === 'rate_limited')
        return unreachable(error);
      throw error;
    }
  }

  /** What the destination's answer to an update or a delete means. */
  function writeOutcome(
    record: OutgoingRecord,
    response: HttpResponse,
    state: SendState,
    doing: string,
    sends: number,
  ): DeliveryOutcome {
    const action = judge(response);
    switch (action.type) {
      case 'success':
        return { ...delivered(), attempts: Math.max(1, sends) };
      case 'ignore':
        return delivered(`ignored by rule: ${action.reason}`);
      case 'retry':
      case 'rate_limited':
        if (state.lookedUp?.found && state.lookedUp.matches)
          return delivered('the outcome was unclear; a read found it written');
        return failed(response, action.reason);
      case 'refresh_auth':
        throw new FerryError(
          'FERRY_ERR_HTTP_UNAUTHORIZED',
          `${doing} record ${record.key} at ${redactSecrets(options.url)}: 401 even after refreshing credentials${serverReason(response)}`,
          { details: { status: response.status, endpoint } },
        );
      case 'fail':
        if (response.status === 405 || response.status === 403) {
          // The endpoint takes no such write, or not from us: every record would fail the same way.
          throw new FerryError(
            'FERRY_ERR_HTTP_STATUS',
            `${doing} record ${record.key}: ${response.status} (${action.reason}); check destination.on_change / on_delete and the credentials' permissions`,
            { details: { status: response.status } },
          );
        }
        return failed(response, action.reason);
      default:
        return failed(response, action.reason);
    }
  }

  async function create(record: OutgoingRecord): Promise<DeliveryOutcome> {
    const body =
      format === jsonFormat && record.json !== undefined ? record.json : format.serialize(record.value);
    const request = requestFor(record, body);
    const state: SendState = { record, body };
    sending.set(request, state);
    let response: HttpResponse;
    try {
      response = await options.send(request);
    } catch (error) {
      if (state.lookedUp?.found) return fromLookup(state.lookedUp);
      if (errorKindOf(error) === 'transient' || errorKindOf(error) === 'rate_limited') {
        const why =
          !options.idempotencyHeader && !lookupOptions && isAmbiguous(error)
            ? 'not resent: no idempotency key or lookup'
            : undefined;
        return unreachable(error, why);
      }
      throw error;
    }
    const action = judge(response);
    switch (action.type) {
      case 'success':
        return delivered();
      case 'ignore':
        return delivered(`ignored by rule: ${action.reason}`);
      case 'conflict':
        return settleConflict(record, response, false);
      case 'retry':
      case 'rate_limited':
        // The retry layer gave this back without resending: a lookup found the record, or no idempotency
        // key or lookup made a resend safe.
        if (state.lookedUp?.found) return fromLookup(state.lookedUp);
        return failed(response, action.reason);
      case 'reject':
        if (options.idempotencyHeader && isKeyReuse(response)) return settleConflict(record, response, true);
        return failed(response, action.reason);
      // Only a source's rules may say end_of_data; a destination schema refuses it.
      case 'end_of_data':
        return failed(response, action.reason);
      case 'refresh_auth':
        throw new FerryError(
          'FERRY_ERR_HTTP_UNAUTHORIZED',
          `sending record ${record.key} to ${redactSecrets(options.url)}: 401 even after refreshing credentials${serverReason(response)}`,
          { details: { status: response.status, endpoint } },
        );
      case 'fail':
        if (response.status === 404 || response.status === 405 || response.status === 403) {
          // The endpoint itself is wrong or forbidden: every record would fail the same way.
          throw new FerryError(
            'FERRY_ERR_HTTP_STATUS',
            `sending to ${redactSecrets(options.url)}: ${response.status} (${action.reason}); check destination.url and its permissions`,
            { details: { status: response.status } },
          );
        }
        return failed(response, action.reason);
    }
  }

  /**
   * The lookup of a key that cannot exist when one is configured (404 or 200 both prove it answers), else
   * OPTIONS on the send URL. Only 401/403 and failures to answer count as refused or unreachable; 405 and
   * other 4xx prove reachability.
   */
  async function probe(): Promise<ProbeResult> {
    const key = `ferry-check-${randomUUID()}`;
    // Every placeholder ({key} or a body field like {orderId}) gets the same key that cannot exist.
    const fields = lookupOptions
      ? Object.fromEntries([...lookupOptions.url.matchAll(/\{([A-Za-z0-9_.-]+)\}/g)].map((m) => [m[1]!, key]))
      : {};
    const request: HttpRequest = lookupOptions
      ? {
          method: 'GET',
          url: fillUrlTemplate(lookupOptions.url, key, fields),
          headers: { accept: format.accept },
          endpoint: `${endpoint}_lookup`,
        }
      : { method: 'OPTIONS', url: options.url, headers: {}, endpoint };
    const what = `${request.method} ${redactSecrets(request.url)}${lookupOptions ? ' (lookup of a key that does not exist)' : ''}`;
    const response = await options.send(request);
    const answer = `${response.status} ${statusText(response.status) ?? ''}`.trim();
    const body = bodySnippet(response.body);
    if (response.status === 401 || response.status === 403) {
      return {
        ok: false,
        code: 'FERRY_ERR_HTTP_UNAUTHORIZED',
        detail: `${what}: credentials refused: ${answer}${body ? `: ${body}` : ''}`,
      };
    }
    if (response.status >= 500) {
      return {
        ok: false,
        code: 'FERRY_ERR_HTTP_TRANSIENT',
        detail: `${what}: ${answer}${body ? `: ${body}` : ''}`,
      };
    }
    // Many APIs answer OPTIONS without looking at the path or the credentials (CORS preflights).
    const caveat = lookupOptions
      ? ''
      : ' (the server answers; OPTIONS proves neither the path nor the credentials: destination.lookup makes this check stronger)';
    return { ok: true, detail: `${what}: answered ${answer}${caveat}` };
  }

  return {
    send,
    ...(format.name === 'json' ? {} : { validate: (value: unknown) => format.check(value) }),
    canResend,
    probe,
    ...(lookupOptions ? { lookup } : {}),
    close: async () => {},
  };
}

/** What the server said, for a message: `: <body>`, bounded, redacted and unable to drive a terminal. */
function serverReason(response: HttpResponse): string {
  const text = bodySnippet(response.body, MAX_REASON_BODY);
  return text ? `: ${text}` : '';
}

function fromLookup(found: LookupResult & { found: true }): DeliveryOutcome {
  if (found.matches) return delivered('the outcome was unclear; the lookup found it delivered', found.body);
  return {
    state: 'failed',
    attempts: 1,
    reasons: [
      {
        code: 'destination_holds_different',
        message: 'the outcome was unclear and the lookup found a different record with this key',
      },
    ],
  };
}

function holdsDifferent(status: number): DeliveryOutcome {
  return {
    state: 'failed',
    attempts: 1,
    reasons: [
      {
        code: 'destination_holds_different',
        message: `${status} from the destination: it holds a different record with this key`,
      },
    ],
  };
}

/** Delivered; `held` is what the destination turned out to hold already, when it did. */
function delivered(note?: string, held?: unknown): DeliveryOutcome {
  return {
    state: 'delivered',
    attempts: 1,
    ...(note ? { note } : {}),
    ...(held === undefined ? {} : { held }),
  };
}

function failedOutcome(
  response: HttpResponse,
  why: string,
  format: BodyFormat,
): Extract<DeliveryOutcome, { state: 'failed' }> {
  const text = redactSecrets(response.body.toString('utf8').slice(0, MAX_REASON_BODY));
  const { status } = response;
  return {
    state: 'failed',
    attempts: 1,
    reasons: [
      {
        code: `destination_${status}`,
        message: `${status} from the destination (${why})${text ? `: ${text}` : ''}`,
      },
      ...(text ? format.fieldReasons(text) : []),
    ],
    ...(wasRefused(status) ? { refused: true } : {}),
  };
}

/**
 * Statuses that prove the destination did not store the body: it refused it. After any other failure
 * (5xx, timeout, 409...) the body may be stored under its key, so a new key could create a second copy.
 */
function wasRefused(status: number): boolean {
  return status >= 400 && status < 500 && status !== 408 && status !== 409 && status !== 429;
}

function unreachable(error: unknown, why?: string): DeliveryOutcome {
  const message = redactSecrets(error instanceof Error ? error.message : String(error));
  return {
    state: 'failed',
    attempts: 1,
    reasons: [{ code: 'destination_unreachable', message: why ? `${message} (${why})` : message }],
  };
}

/** The value with the fields at `paths` as the destination holds them (those it does not have stay). */
function withKept(value: unknown, held: unknown, paths: readonly string[]): unknown {
  if (paths.length === 0) return value;
  const out = structuredClone(value);
  for (const path of paths) {
    const segments = path.split('.');
    let from: unknown = held;
    for (const segment of segments) {
      from =
        from !== null && typeof from === 'object' ? (from as Record<string, unknown>)[segment] : undefined;
    }
    if (from === undefined) continue;
    let into: unknown = out;
    for (const segment of segments.slice(0, -1)) {
      into =
        into !== null && typeof into === 'object' ? (into as Record<string, unknown>)[segment] : undefined;
    }
    if (into !== null && typeof into === 'object') (into as Record<string, unknown>)[segments.at(-1)!] = from;
  }
  return out;
}

/** An XML body's content without its root element, and the dot paths that named fields under the root. */
function withoutRoot(
  sent: Record<string, unknown>,
  identityFields: readonly string[],
  ignore: ReadonlySet<string>,
): { sent: Record<string, unknown>; identityFields: string[]; ignore: Set<string> } {
  const [root, content] = Object.entries(sent)[0] ?? ['', {}];
  const strip = (path: string) => (path.startsWith(`${root}.`) ? path.slice(root.length + 1) : path);
  return {
    sent: toJsonObject(content),
    identityFields: identityFields.map(strip),
    ignore: new Set([...ignore].map(strip)),
  };
}

/** The mapped value as the object lookup templates and comparisons read. */
function toJsonObject(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' ? (value as Record<string, unknown>) : {};
}

/** A network-level failure after which the request may or may not have reached the destination. */
function isAmbiguous(error: unknown): boolean {
  if (errorKindOf(error) !== 'transient') return false;
  const details = (error as { details?: { sent?: unknown } }).details;
  return details?.sent !== false;
}

/**
 * A refusal because the idempotency key was first used with another body: 422 in the IETF
 * Idempotency-Key draft (`idempotency_key_reused` from the bundled API), 400 `idempotency_error` from
 * Stripe-style APIs. A 409 is not one: the draft uses it for "the first request is still in progress".
 */
function isKeyReuse(response: HttpResponse): boolean {
  if (response.status !== 422 && response.status !== 400) return false;
  return /idempoten/i.test(response.body.subarray(0, MAX_REASON_BODY).toString('utf8'));
}

/** A conflict answer that carries the stored record (itself, or under `existing`) equal to what was sent. */
function echoesSent(
  sent: unknown,
  response: HttpResponse,
  ignore: ReadonlySet<string>,
  format: BodyFormat,
): unknown {
  let answer: unknown;
  try {
    answer =
      format.name === 'json'
        ? JSON.parse(response.body.toString('utf8'))
        : format.parse(response, 'reading a conflict answer');
  } catch {
    return undefined;
  }
  if (containsSent(sent, answer, ignore)) return answer;
  const existing = (answer as { existing?: unknown } | null)?.existing;
  return existing !== undefined && containsSent(sent, existing, ignore) ? existing : undefined;
}
