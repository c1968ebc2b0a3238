import { errorKindOf, hasErrorCode } from '../core/errors.ts';
import type { HttpResponse, ResponseAction } from '../core/http-types.ts';
import { parseRateLimitHeaders } from './rate-limit-headers.ts';
import { parseRetryAfter } from './retry-after.ts';

/** What happened to one request: a response, or the error the transport threw. */
export type Outcome = { readonly response: HttpResponse } | { readonly error: unknown };

/**
 * A connector's override: statuses it matches (a code, "4xx"-style class, or a list), optionally only
 * when the body contains a text, and the action.
 */
export interface ResponseRule {
  readonly status: number | `${1 | 2 | 3 | 4 | 5}xx` | readonly number[];
  /** Matches only a response whose body contains this text (case-sensitive). */
  readonly bodyContains?: string;
  readonly action: ResponseAction['type'];
}

/** Options for classify(). */
export interface ClassifyOptions {
  /** Now in ms, for Retry-After dates and rate-limit resets. @default Date.now() */
  now?: number;
  /** Cap for Retry-After waits. @default 300000 */
  maxRetryAfterMs?: number;
  /**
   * The protocol's reading of a body (a SOAP fault, GraphQL errors), tried after the rules and before the
   * status defaults; undefined leaves the response to the defaults.
   */
  classifyBody?: (response: HttpResponse) => ResponseAction | undefined;
}

/** The defaults, as data: status -> action. Anything not listed falls to its class below. */
export const defaultStatusActions: Readonly<Record<number, ResponseAction['type']>> = {
  401: 'refresh_auth',
  400: 'reject',
  409: 'conflict',
  422: 'reject',
  408: 'retry',
  429: 'rate_limited',
  500: 'retry',
  502: 'retry',
  503: 'retry',
  504: 'retry',
};

function matches(rule: ResponseRule, response: HttpResponse): boolean {
  const { status } = response;
  const statusMatches =
    typeof rule.status === 'number'
      ? rule.status === status
      : typeof rule.status === 'string'
        ? Math.floor(status / 100) === Number(rule.status[0])
        : rule.status.includes(status);
  if (!statusMatches) return false;
  return rule.bodyContains === undefined || response.body.includes(rule.bodyContains, 0, 'utf8');
}

function reasonFor(response: HttpResponse): string {
  return `HTTP ${response.status}`;
}

function build(type: ResponseAction['type'], reason: string, waitMs?: number): ResponseAction {
  if (type === 'success') return { type };
  if (type === 'rate_limited') return waitMs === undefined ? { type, reason } : { type, reason, waitMs };
  return { type, reason };
}

/** Wait a 429/503 asks for: Retry-After first, else the quota reset when nothing remains. */
function waitFor(response: HttpResponse, options: ClassifyOptions): number | undefined {
  const now = options.now ?? Date.now();
  const retryAfter = parseRetryAfter(response.headers['retry-after'], {
    now,
    ...(options.maxRetryAfterMs === undefined ? {} : { maxRetryAfterMs: options.maxRetryAfterMs }),
  });
  if (retryAfter !== undefined) return retryAfter;
  const quota = parseRateLimitHeaders(response.headers, now);
  if (quota.remaining === 0 && quota.resetMs !== undefined)
    return Math.min(quota.resetMs, options.maxRetryAfterMs ?? 300_000);
  return undefined;
}

function classifyError(error: unknown): ResponseAction {
  const message = error instanceof Error ? error.message : String(error);
  if (hasErrorCode(error, 'FERRY_ERR_HTTP_RESPONSE_TOO_LARGE')) {
    // The same response will be just as large next time: retrying only wastes the budget.
    return { type: 'fail', reason: message };
  }
  const kind = errorKindOf(error);
  if (kind === 'transient') return { type: 'retry', reason: message };
  if (kind === 'rate_limited') return { type: 'rate_limited', reason: message };
  return { type: 'fail', reason: message };
}

/**
 * THE one place that turns a response or a transport error into an action. Connector rules are tried
 * first (first match wins), then the defaults: 2xx success; 408/500/502/503/504, resets and timeouts retry;
 * 429, and 503 with Retry-After, are rate_limited (with waitMs when known); 401 refresh_auth; 400/422
 * reject; 409 conflict; any other status fail.
 */
export function classify(
  outcome: Outcome,
  rules: readonly ResponseRule[] = [],
  options: ClassifyOptions = {},
): ResponseAction {
  if (!('response' in outcome)) return classifyError(outcome.error);
  const { response } = outcome;
  const { status } = response;
  const rule = rules.find((r) => matches(r, response));
  if (rule) {
    const waitMs = rule.action === 'rate_limited' ? waitFor(response, options) : undefined;
    return build(rule.action, reasonFor(response), waitMs);
  }
  const read = options.classifyBody?.(response);
  if (read) {
    if (read.type !== 'rate_limited' || read.waitMs !== undefined) return read;
    const waitMs = waitFor(response, options);
    return waitMs === undefined ? read : { ...read, waitMs };
  }
  if (status >= 200 && status < 300) return { type: 'success' };
  if (status === 503 && response.headers['retry-after'] !== undefined) {
    const waitMs = waitFor(response, options);
    // A garbage Retry-After leaves a plain 503: retried with backoff.
    if (waitMs !== undefined) return build('rate_limited', reasonFor(response), waitMs);
  }
  const type = defaultStatusActions[status] ?? 'fail';
  return build(type, reasonFor(response), type === 'rate_limited' ? waitFor(response, options) : undefined);
}

/** The decision the stack's classify layer made for a response, or a fresh one for an error or a bare response. */
export function actionOf(
  outcome: Outcome,
  rules: readonly ResponseRule[] = [],
  options: ClassifyOptions = {},
): ResponseAction {
  if ('response' in outcome && outcome.response.action) return outcome.response.action;
  return classify(outcome, rules, options);
}
