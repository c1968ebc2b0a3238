import type {
  DeliveryOutcome,
  LookupResult,
  OutgoingRecord,
  SinkConnector,
} from '../core/connector-types.ts';
import { errorKindOf, FerryError } from '../core/errors.ts';
import { escapeControlCharacters } from '../core/escape-control-characters.ts';
import type { HttpRequest, HttpResponse, ResponseAction, Send } from '../core/http-types.ts';
import { redactSecrets } from '../core/secret-registry.ts';
import { readJson } from '../http/read-json.ts';
import { containsSent, fillUrlTemplate } from './lookup-match.ts';

/** How the REST sink talks to its destination. */
export interface RestSinkOptions {
  readonly url: string;
  readonly method: 'POST' | 'PUT' | 'PATCH';
  /** The composed HTTP stack (retry, breaker, limiter, auth, transport). */
  readonly send: Send;
  readonly headers?: Readonly<Record<string, string>>;
  /** Header carrying the record's idempotency key; null when the destination honours none. */
  readonly idempotencyHeader: string | null;
  /** GET URL template to look a record up (`{key}` or `{bodyField}`); a 404 means "not there". */
  readonly lookupUrl?: string;
  /** The one classifier, with the connector's rules applied. */
  readonly classify: (response: HttpResponse) => ResponseAction;
  /** How often a request that may or may not have arrived is looked up and resent. @default 5 */
  readonly maxAmbiguousResends?: number;
  /** Names the endpoint in metrics and messages. @default "destination" */
  readonly endpoint?: string;
}

const MAX_REASON_BODY = 2000;

/** A sink that sends each record as one HTTP request and reports what became of it. */
export function createRestSink(options: RestSinkOptions): SinkConnector {
  const endpoint = options.endpoint ?? 'destination';
  const maxResends = options.maxAmbiguousResends ?? 5;
  const baseHeaders = { 'content-type': 'application/json', accept: 'application/json', ...options.headers };

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
    if (!options.lookupUrl) return { found: false };
    const sent = JSON.parse(record.body) as Record<string, unknown>;
    const url = fillUrlTemplate(options.lookupUrl, record.key, sent);
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
    const stored = readJson(response, { context: `looking up record ${record.key}` });
    return { found: true, matches: containsSent(sent, stored), body: stored };
  }

  async function settleConflict(record: OutgoingRecord, response: HttpResponse, attempts: number) {
    if (options.lookupUrl) {
      const found = await lookup(record);
      if (found.found && found.matches) {
        return delivered(response.status, attempts, 'the destination already had this exact record');
      }
    }
    return failed(response, attempts, 'the destination holds a different record with this key');
  }

  async function send(record: OutgoingRecord): Promise<DeliveryOutcome> {
    for (let attempts = 1; ; attempts++) {
      let response: HttpResponse;
      try {
        response = await options.send(requestFor(record));
      } catch (error) {
        // Without an idempotency key, a request that may have arrived is only resent after the
        // destination says it does not have it; otherwise the record fails rather than risk a duplicate.
        if (isAmbiguous(error) && !options.idempotencyHeader && attempts <= maxResends) {
          if (!options.lookupUrl)
            return unreachable(error, attempts, 'not resent: no idempotency key or lookup');
          const found = await lookup(record);
          if (found.found) {
            return found.matches
              ? delivered(0, attempts, 'acknowledgement lost; the lookup found it delivered')
              : unreachable(error, attempts, 'a different record with this key exists');
          }
          continue;
        }
        if (errorKindOf(error) === 'transient' || errorKindOf(error) === 'rate_limited') {
          return unreachable(error, attempts);
        }
        throw error;
      }
      const action = options.classify(response);
      switch (action.type) {
        case 'success':
          return delivered(response.status, attempts);
        case 'ignore':
          return delivered(response.status, attempts, `ignored by rule: ${action.reason}`);
        case 'conflict':
          return settleConflict(record, response, attempts);
        case 'retry':
        case 'rate_limited':
          // The retry layer gave this back without retrying: a POST with no idempotency key. A 429 was
          // refused outright and can be resent; anything else may have been stored, so look first.
          if (!options.idempotencyHeader && attempts <= maxResends) {
            if (action.type === 'rate_limited') continue;
            if (options.lookupUrl) {
              const found = await lookup(record);
              if (!found.found) continue;
              if (found.matches) return delivered(response.status, attempts, 'stored despite the error');
            }
          }
          return failed(response, attempts, action.reason);
        case 'reject':
        // Only a source's rules may say end_of_data; a destination schema refuses it.
        case 'end_of_data':
          return failed(response, attempts, action.reason);
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
          return failed(response, attempts, action.reason);
      }
    }
  }

  return {
    send,
    ...(options.lookupUrl ? { lookup } : {}),
    close: async () => {},
  };
}

/** What the server said, for a message: `: <body>`, bounded, redacted and unable to drive a terminal. */
function serverReason(response: HttpResponse): string {
  const text = escapeControlCharacters(
    redactSecrets(response.body.toString('utf8').slice(0, MAX_REASON_BODY)).replace(/\s+/g, ' ').trim(),
  );
  return text ? `: ${text}` : '';
}

function delivered(status: number, attempts: number, note?: string): DeliveryOutcome {
  return { state: 'delivered', status, attempts, ...(note ? { note } : {}) };
}

function failed(response: HttpResponse, attempts: number, why: string): DeliveryOutcome {
  const text = redactSecrets(response.body.toString('utf8').slice(0, MAX_REASON_BODY));
  return {
    state: 'failed',
    status: response.status,
    attempts,
    reason: `${response.status} from the destination (${why})${text ? `: ${text}` : ''}`,
    responseBody: text,
  };
}

function unreachable(error: unknown, attempts: number, why?: string): DeliveryOutcome {
  const message = redactSecrets(error instanceof Error ? error.message : String(error));
  return { state: 'failed', attempts, reason: why ? `${message} (${why})` : message };
}

/** A network-level failure after which the request may or may not have reached the destination. */
function isAmbiguous(error: unknown): boolean {
  if (errorKindOf(error) !== 'transient') return false;
  const details = (error as { details?: { sent?: unknown } }).details;
  return details?.sent !== false;
}
