import type {
  DeliveryOutcome,
  LookupResult,
  OutgoingRecord,
  SinkConnector,
} from '../core/connector-types.ts';
import { errorKindOf, FerryError } from '../core/errors.ts';
import type { HttpRequest, HttpResponse, ResponseAction, Send } from '../core/http-types.ts';
import { redactSecrets } from '../core/secret-registry.ts';
import { bodySnippet } from '../http/body-snippet.ts';
import { readJson } from '../http/read-json.ts';
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
  /** The one classifier, with the connector's rules applied. */
  readonly classify: (response: HttpResponse) => ResponseAction;
  /** Names the endpoint in metrics and messages. @default "destination" */
  readonly endpoint?: string;
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
  lookedUp?: LookupResult;
}

/** A sink that sends each record as one HTTP request and reports what became of it. */
export function createRestSink(options: RestSinkOptions): RestSink {
  const endpoint = options.endpoint ?? 'destination';
  const baseHeaders = { 'content-type': 'application/json', accept: 'application/json', ...options.headers };
  const lookupOptions = options.lookup;
  const ignore = new Set(lookupOptions?.ignoreFields ?? []);
  const identityFields = lookupOptions ? templateFields(lookupOptions.url) : [];
  // The retry layer hands canResend the very request object send() made: this finds its record.
  const sending = new WeakMap<HttpRequest, SendState>();

  function requestFor(record: OutgoingRecord): HttpRequest {
    const headers = options.idempotencyHeader
      ? { ...baseHeaders, [options.idempotencyHeader.toLowerCase()]: record.idempotencyKey }
      : baseHeaders;
    return {
      method: options.method,
      url: options.url,
      headers,
      body: record.body,
      endpoint,
      ...(record.signal ? { signal: record.signal } : {}),
    };
  }

  async function lookup(record: OutgoingRecord): Promise<LookupResult> {
    if (!lookupOptions) return { found: false };
    const sent = JSON.parse(record.body) as Record<string, unknown>;
    const url = fillUrlTemplate(lookupOptions.url, record.key, sent);
    const response = await options.send({
      method: 'GET',
      url,
      headers: { accept: 'application/json' },
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
    const answer = readJson(response, { context: `looking up record ${record.key}` });
    const result = readLookupAnswer(sent, answer, {
      recordsPath: lookupOptions.recordsPath ?? '',
      identityFields,
      ignore,
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
    if (!keyReused && echoesSent(record.body, response, ignore)) {
      return delivered(response.status, 'the destination already had this record');
    }
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
      return delivered(response.status, 'reconciled: the destination already had this record');
    }
    if (found.found) return failed(response, 'the destination holds a different record with this key');
    return keyReused
      ? { ...failed(response, 'the idempotency key was used before with another body'), newKeySafe: true }
      : failed(response, 'the destination reports a conflict but the lookup does not find the record');
  }

  async function send(record: OutgoingRecord): Promise<DeliveryOutcome> {
    const request = requestFor(record);
    const state: SendState = { record };
    sending.set(request, state);
    let response: HttpResponse;
    try {
      response = await options.send(request);
    } catch (error) {
      if (state.lookedUp?.found) return fromLookup(state.lookedUp, 0);
      if (errorKindOf(error) === 'transient' || errorKindOf(error) === 'rate_limited') {
        const why =
          !options.idempotencyHeader && !lookupOptions && isAmbiguous(error)
            ? 'not resent: no idempotency key or lookup'
            : undefined;
        return unreachable(error, why);
      }
      throw error;
    }
    const action = options.classify(response);
    switch (action.type) {
      case 'success':
        return delivered(response.status);
      case 'ignore':
        return delivered(response.status, `ignored by rule: ${action.reason}`);
      case 'conflict':
        return settleConflict(record, response, false);
      case 'retry':
      case 'rate_limited':
        // The retry layer gave this back without resending: a lookup found the record, or no idempotency
        // key or lookup made a resend safe.
        if (state.lookedUp?.found) return fromLookup(state.lookedUp, response.status);
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

  return {
    send,
    canResend,
    ...(lookupOptions ? { lookup } : {}),
    close: async () => {},
  };
}

/** What the server said, for a message: `: <body>`, bounded, redacted and unable to drive a terminal. */
function serverReason(response: HttpResponse): string {
  const text = bodySnippet(response.body, MAX_REASON_BODY);
  return text ? `: ${text}` : '';
}

function fromLookup(found: LookupResult & { found: true }, status: number): DeliveryOutcome {
  if (found.matches) return delivered(status, 'the outcome was unclear; the lookup found it delivered');
  return {
    state: 'failed',
    ...(status ? { status } : {}),
    attempts: 1,
    reason: 'the outcome was unclear and the lookup found a different record with this key',
  };
}

function delivered(status: number, note?: string): DeliveryOutcome {
  return { state: 'delivered', status, attempts: 1, ...(note ? { note } : {}) };
}

function failed(response: HttpResponse, why: string): DeliveryOutcome & { state: 'failed'; status: number } {
  const text = redactSecrets(response.body.toString('utf8').slice(0, MAX_REASON_BODY));
  return {
    state: 'failed',
    status: response.status,
    attempts: 1,
    reason: `${response.status} from the destination (${why})${text ? `: ${text}` : ''}`,
    responseBody: text,
  };
}

function unreachable(error: unknown, why?: string): DeliveryOutcome {
  const message = redactSecrets(error instanceof Error ? error.message : String(error));
  return { state: 'failed', attempts: 1, reason: why ? `${message} (${why})` : message };
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
function echoesSent(body: string, response: HttpResponse, ignore: ReadonlySet<string>): boolean {
  let answer: unknown;
  try {
    answer = JSON.parse(response.body.toString('utf8'));
  } catch {
    return false;
  }
  const sent: unknown = JSON.parse(body);
  const existing = (answer as { existing?: unknown } | null)?.existing;
  return (
    containsSent(sent, answer, ignore) || (existing !== undefined && containsSent(sent, existing, ignore))
  );
}
