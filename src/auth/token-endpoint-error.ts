import { FerryError } from '../core/errors.ts';
import { escapeControlCharacters } from '../core/escape-control-characters.ts';
import { redactSecrets } from '../core/secret-registry.ts';
import { isConnectFailureCode } from '../http/connect-failure.ts';

/** What is known about a failed token request, gathered without keeping anything secret. */
export interface TokenFailure {
  /** The token endpoint URL (no credentials ever go in it). */
  readonly tokenUrl: string;
  /** HTTP status, when the endpoint answered at all. */
  readonly status?: number;
  /** Retry-After from a 429/503, in milliseconds. */
  readonly retryAfterMs?: number;
  /** The error oauth4webapi or fetch threw. */
  readonly error: unknown;
  /** False when the request never went out (a local problem such as an unusable key): not retryable. */
  readonly sent: boolean;
  /** The RFC 6749 error response body, when it was read (the library leaves it unread on a challenge). */
  readonly body?: { readonly error?: string; readonly error_description?: string };
}

/** Picks a string property of an unknown value without trusting its type. */
function stringProp(value: unknown, key: string): string | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = (value as Record<string, unknown>)[key];
  return typeof v === 'string' ? v : undefined;
}

/** The OAuth `error` code from a ResponseBodyError, or from a WWW-Authenticate challenge's parameters. */
function oauthErrorCode(error: unknown): string | undefined {
  const direct = stringProp(error, 'error');
  if (direct) return direct;
  const cause =
    typeof error === 'object' && error !== null ? (error as { cause?: unknown }).cause : undefined;
  if (Array.isArray(cause)) {
    for (const challenge of cause) {
      const parameters =
        typeof challenge === 'object' && challenge !== null ? challenge.parameters : undefined;
      const code = stringProp(parameters, 'error');
      if (code) return code;
    }
  }
  return undefined;
}

/** The error's own name, message text aside: a network error's cause code (ECONNREFUSED) or the library's code. */
function failureCode(error: unknown): string | undefined {
  const cause =
    typeof error === 'object' && error !== null ? (error as { cause?: unknown }).cause : undefined;
  return stringProp(cause, 'code') ?? stringProp(error, 'code') ?? stringProp(error, 'name');
}

/**
 * Turns a failed token request into a FerryError that names the endpoint, the status and the OAuth error
 * code, and never the secret: 5xx, 408, 429 and network errors are FERRY_ERR_AUTH_TOKEN_UNAVAILABLE
 * (transient, retried); anything else (400 invalid_client, 401, a malformed answer) is FERRY_ERR_AUTH_TOKEN.
 * The library error is not kept as `cause` because it can hold the response body, tokens included.
 */
export function tokenEndpointError(failure: TokenFailure): FerryError {
  const { tokenUrl, status } = failure;
  const oauthError = oauthErrorCode(failure.error) ?? failure.body?.error;
  const rawDescription = stringProp(failure.error, 'error_description') ?? failure.body?.error_description;
  // The server's own words, shown as its reason: bounded, and unable to drive the terminal.
  const description =
    rawDescription === undefined ? undefined : escapeControlCharacters(rawDescription.slice(0, 300));
  const code = failureCode(failure.error);
  const retryable = status === undefined ? failure.sent : status >= 500 || status === 408 || status === 429;
  const what =
    status === undefined
      ? failure.sent
        ? `no answer (${code ?? 'network error'})`
        : `the request could not be prepared (${code ?? 'error'})`
      : `HTTP ${status}${oauthError ? ` ${oauthError}` : ''}${description ? `: ${description}` : ''}`;
  const details: Record<string, unknown> = { tokenUrl, retryable };
  if (status !== undefined) details.status = status;
  if (oauthError) details.oauthError = oauthError;
  if (code) details.errorCode = code;
  // As the transport marks it: no connection was made, so neither the token request nor the request that
  // needed the token reached anyone (the breaker tells an unreachable destination by this).
  if (status === undefined && isConnectFailureCode(code)) details.sent = false;
  if (failure.retryAfterMs !== undefined) details.retryAfterMs = failure.retryAfterMs;
  return new FerryError(
    retryable ? 'FERRY_ERR_AUTH_TOKEN_UNAVAILABLE' : 'FERRY_ERR_AUTH_TOKEN',
    redactSecrets(`requesting an access token from ${tokenUrl}: ${what}`),
    { details: redactDetails(details) },
  );
}

function redactDetails(details: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(details)) out[k] = typeof v === 'string' ? redactSecrets(v) : v;
  return out;
}

/**
 * Reads the `error` and `error_description` of a token endpoint's error response that the OAuth library
 * threw without reading (a 401 with a WWW-Authenticate challenge), at most 8 KB of it.
 */
export async function readOAuthErrorBody(error: unknown): Promise<TokenFailure['body']> {
  const response =
    typeof error === 'object' && error !== null ? (error as { response?: unknown }).response : undefined;
  const answer = response as { bodyUsed?: boolean; body?: ReadableStream<Uint8Array> | null } | undefined;
  if (!answer || answer.bodyUsed || !answer.body) return undefined;
  try {
    const reader = answer.body.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    while (size < MAX_ERROR_BODY) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
    await reader.cancel().catch(() => {});
    const parsed: unknown = JSON.parse(Buffer.concat(chunks).subarray(0, MAX_ERROR_BODY).toString('utf8'));
    const code = stringProp(parsed, 'error');
    const description = stringProp(parsed, 'error_description');
    return {
      ...(code === undefined ? {} : { error: code }),
      ...(description === undefined ? {} : { error_description: description }),
    };
  } catch {
    // Not JSON, cut short or already gone: the status alone will have to do.
    return undefined;
  }
}

const MAX_ERROR_BODY = 8192;

/** Reads Retry-After (seconds or an HTTP date) into milliseconds from `nowMs`. */
export function retryAfterMs(header: string | null, nowMs: number): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}
