import { readPath } from '../../pagination/dot-path.ts';
import { headerValue, type RequestHeaders, type SignatureScheme } from './signature.ts';

/** What identifies an event: the sender's id for it, and its type when the scheme says. */
export interface EventFacts {
  readonly eventId: string;
  readonly type: string | undefined;
}

/** Longest event id kept: ids are short tokens; a longer one is refused rather than stored. */
const MAX_EVENT_ID = 256;

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * The id and type of a verified event: `webhook-id` and the body's `type` (Standard Webhooks),
 * `X-GitHub-Delivery` and `X-GitHub-Event` (GitHub), the body's `id` and `type` (Stripe). A problem (no id)
 * is returned as a sentence for a 400 answer.
 */
export function eventFacts(
  scheme: SignatureScheme,
  headers: RequestHeaders,
  payload: unknown,
): EventFacts | { readonly problem: string } {
  const body = payload !== null && typeof payload === 'object' ? (payload as Record<string, unknown>) : {};
  const [eventId, type, where] =
    scheme === 'standard_webhooks'
      ? [headerValue(headers, 'webhook-id'), text(body.type), 'the webhook-id header']
      : scheme === 'github'
        ? [
            headerValue(headers, 'x-github-delivery'),
            headerValue(headers, 'x-github-event'),
            'X-GitHub-Delivery',
          ]
        : [text(body.id), text(body.type), 'the body\'s "id"'];
  if (eventId === undefined || eventId === '') return { problem: `the event has no id (${where})` };
  if (eventId.length > MAX_EVENT_ID)
    return { problem: `the event id is longer than ${MAX_EVENT_ID} characters` };
  return { eventId, type };
}

/**
 * The event's place among the events of its key, from `version_path`: a number as it is, an RFC 3339 time
 * as milliseconds since the epoch; null when there is no such field or it is neither (the event is then
 * taken in arrival order).
 */
export function versionOf(payload: unknown, versionPath: string | undefined): number | null {
  if (versionPath === undefined) return null;
  const found = readPath(payload, versionPath);
  if (!found.found) return null;
  const { value } = found;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value !== 'string' || value.trim() === '') return null;
  if (/^-?\d+(\.\d+)?$/.test(value.trim())) return Number(value);
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

/** The record an event carries, at `record_path` of its body. */
export function recordOf(
  payload: unknown,
  recordPath: string,
): { found: true; record: unknown } | { found: false } {
  const found = readPath(payload, recordPath);
  return found.found && found.value !== undefined ? { found: true, record: found.value } : { found: false };
}
