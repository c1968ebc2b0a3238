import { Agent } from 'undici';
import { FerryError } from '../core/errors.ts';
import type { HttpRequest, HttpResponse, Send } from '../core/http-types.ts';
import { redactSecrets } from '../core/secret-registry.ts';
import { isConnectFailureCode } from './connect-failure.ts';
import { diagnoseTls, type TlsDiagnosis } from './diagnose-tls.ts';
import {
  BODY_DEADLINE,
  dispatchRequest,
  type ExchangeProgress,
  RESPONSE_TOO_LARGE,
  type ResponseLimits,
} from './dispatch-request.ts';
import type { HttpObserver } from './http-observer.ts';
import { streamRequest } from './stream-request.ts';

/** How one HTTP client talks to the network. */
export interface HttpTransportOptions {
  /** Keep-alive connections per origin. @default 16 */
  connections?: number;
  /** Time to open the TCP+TLS connection. @default 10000 */
  connectTimeoutMs?: number;
  /** Time from sending to receiving the complete response headers. @default 30000 */
  headersTimeoutMs?: number;
  /** Time to read the whole body once headers arrived (also ends a slow drip of bytes). @default 30000 */
  bodyTimeoutMs?: number;
  /** Largest response body read; past it the body is destroyed. @default 52428800 (50 MB) */
  maxResponseBytes?: number;
  /** Extra CA certificates (PEM), trusted in addition to the system roots; verification stays on. */
  ca?: string;
  /** A client certificate and its key (PEM), presented when the server asks for one (mutual TLS). */
  clientCertificate?: { readonly cert: string; readonly key: string; readonly passphrase?: string };
  /** How long an idle keep-alive socket stays open. @default 4000 */
  keepAliveTimeoutMs?: number;
  observer?: HttpObserver;
}

/** A pooled HTTP client: send requests, close the pools when done. */
export interface HttpTransport {
  readonly send: Send;
  close(): Promise<void>;
}

/** A connection closed before any answer: over TLS, possibly the server's alert about the client certificate. */
const CLOSED_EARLY = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE']);
const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);
const TLS_CODE = /^(?:CERT_|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO_|ERR_TLS_|ERR_SSL_|HOSTNAME_MISMATCH)/;

function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : error instanceof Error ? error.name : 'UNKNOWN';
}

/**
 * Creates the transport on undici's own Agent and its dispatch() (not global fetch, whose bundled undici
 * rejects an undici 8 dispatcher): keep-alive pools per origin, connect/headers/body timeouts, a size cap,
 * no redirects followed. Network failures become FerryErrors whose `details.sent` is false only when the
 * request certainly never reached the server.
 */
export function createHttpTransport(options: HttpTransportOptions = {}): HttpTransport {
  const bodyTimeoutMs = options.bodyTimeoutMs ?? 30_000;
  const maxResponseBytes = options.maxResponseBytes ?? 50 * 1024 * 1024;
  const observer = options.observer;
  const agent = new Agent({
    connections: options.connections ?? 16,
    headersTimeout: options.headersTimeoutMs ?? 30_000,
    // undici's body timeout is an idle timeout between chunks; the total deadline below ends slow drips.
    bodyTimeout: bodyTimeoutMs,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 4_000,
    connect: {
      timeout: options.connectTimeoutMs ?? 10_000,
      // `ca` replaces Node's trust store, so the system roots are passed along with the extra bundle.
      ...tlsOptionsOf(options),
      rejectUnauthorized: true,
    },
  });

  const limits: ResponseLimits = { maxBytes: maxResponseBytes, bodyDeadlineMs: bodyTimeoutMs };
  const tlsOptions = tlsOptionsOf(options);
  // One diagnosis per origin while it keeps failing, so an outage costs one extra handshake, not one per
  // request; an answer from the origin forgets it.
  const diagnoses = new Map<string, Promise<TlsDiagnosis | undefined>>();
  const diagnose = (req: HttpRequest, error: unknown): Promise<TlsDiagnosis | undefined> => {
    if (!/^https:/i.test(req.url) || !CLOSED_EARLY.has(errorCode(error))) return Promise.resolve(undefined);
    const url = new URL(req.url);
    let found = diagnoses.get(url.origin);
    if (!found) {
      found = diagnoseTls(url, tlsOptions);
      diagnoses.set(url.origin, found);
    }
    return found;
  };

  const send: Send = async (req: HttpRequest): Promise<HttpResponse> => {
    const started = performance.now();
    // Only error messages name the request: its URL is redacted when one is needed, not per request.
    const what = (): string => `${req.method} ${redactSecrets(req.url)} (${req.endpoint})`;
    const progress: ExchangeProgress = { headersReceived: false };
    try {
      const response = req.streamBody
        ? await streamRequest(agent, req, limits, progress, (error) =>
            bodyError(error, req, what, maxResponseBytes),
          )
        : await dispatchRequest(agent, req, limits, progress);
      if (diagnoses.size > 0) diagnoses.delete(new URL(req.url).origin);
      observer?.onResponse?.({
        endpoint: req.endpoint,
        method: req.method,
        status: response.status,
        durationMs: performance.now() - started,
        attempt: req.attempt ?? 1,
      });
      return response;
    } catch (error) {
      if (errorCode(error) === RESPONSE_TOO_LARGE)
        throw tooLarge(what(), maxResponseBytes, (error as { declaredBytes?: number }).declaredBytes);
      const tls = progress.headersReceived || req.signal?.aborted ? undefined : await diagnose(req, error);
      if (tls) {
        observer?.onNetworkError?.({ endpoint: req.endpoint, code: tls.code });
        throw new FerryError(
          'FERRY_ERR_HTTP_TLS',
          `${what()}: the TLS handshake was refused (${tls.code}): ${tls.explanation}`,
          { cause: error, details: { url: redactSecrets(req.url), networkCode: tls.code, sent: false } },
        );
      }
      const mapped = mapNetworkError(error, what(), redactSecrets(req.url), req, progress.headersReceived);
      if (mapped.code !== 'FERRY_ERR_ABORTED')
        observer?.onNetworkError?.({ endpoint: req.endpoint, code: errorCode(error) });
      throw mapped;
    }
  };

  return { send, close: () => agent.close() };
}

/** An error met while a streamed body was read: too large, or the connection failing mid-body. */
function bodyError(error: unknown, req: HttpRequest, what: () => string, limit: number): Error {
  if (error instanceof FerryError) return error;
  const code = errorCode(error);
  if (code === RESPONSE_TOO_LARGE) return tooLarge(what(), limit);
  return mapNetworkError(error, what(), redactSecrets(req.url), req, true);
}

function tlsOptionsOf(options: HttpTransportOptions) {
  return {
    // node:tls loaded only here: a run against http:// APIs never needs it (undici loads it for https).
    ...(options.ca ? { ca: [...process.getBuiltinModule('node:tls').rootCertificates, options.ca] } : {}),
    ...(options.clientCertificate ?? {}),
  };
}

function tooLarge(what: string, limit: number, declared?: number): FerryError {
  return new FerryError(
    'FERRY_ERR_HTTP_RESPONSE_TOO_LARGE',
    `${what}: response body ${declared === undefined ? 'exceeded' : `of ${declared} bytes exceeds`} the limit of ${limit} bytes`,
    { details: { maxResponseBytes: limit, ...(declared === undefined ? {} : { contentLength: declared }) } },
  );
}

function mapNetworkError(
  error: unknown,
  what: string,
  url: string,
  req: HttpRequest,
  headersReceived: boolean,
): FerryError {
  const code = errorCode(error);
  const message = redactSecrets(error instanceof Error ? error.message : String(error));
  const base = { url, method: req.method, endpoint: req.endpoint, networkCode: code };
  if (req.signal?.aborted || code === 'UND_ERR_ABORTED' || code === 'ABORT_ERR') {
    return new FerryError('FERRY_ERR_ABORTED', `${what}: aborted`, { cause: error, details: base });
  }
  if (TLS_CODE.test(code)) {
    return new FerryError('FERRY_ERR_HTTP_TLS', `${what}: TLS verification failed (${code}): ${message}`, {
      cause: error,
      details: base,
    });
  }
  // Once headers arrived the server certainly got the request; before that, only connect-phase
  // failures prove it did not.
  const sent = headersReceived || !isConnectFailureCode(code);
  if (TIMEOUT_CODES.has(code) || code === BODY_DEADLINE) {
    const phase =
      code === 'UND_ERR_CONNECT_TIMEOUT'
        ? 'connect'
        : code === 'UND_ERR_HEADERS_TIMEOUT'
          ? 'headers'
          : 'body';
    return new FerryError('FERRY_ERR_HTTP_TIMEOUT', `${what}: ${phase} timeout (${message})`, {
      cause: error,
      details: { ...base, phase, sent },
    });
  }
  return new FerryError('FERRY_ERR_HTTP_TRANSIENT', `${what}: network error ${code}: ${message}`, {
    cause: error,
    details: { ...base, sent },
  });
}
