import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type * as Undici from 'undici';
import type { Dispatcher } from 'undici';
import type { RetryConfig } from '../../config/retry-schema.ts';
import type { AuthStrategy } from '../../core/auth-types.ts';
import { FerryError } from '../../core/errors.ts';
import type { HttpRequest } from '../../core/http-types.ts';
import { lazyModule } from '../../core/lazy-module.ts';
import { redactSecrets } from '../../core/secret-registry.ts';
import { parseRetryAfter } from '../../http/retry-after.ts';

/** undici, loaded when a file is downloaded, not by every command that loads the registry. */
const undici = lazyModule<typeof Undici>('undici');

/** How to download one file over http(s). */
export interface HttpDownloadOptions {
  readonly url: string;
  /** What messages call the file (`customers.csv`). */
  readonly name: string;
  /** The user's static headers; sent to the file's own origin only. */
  readonly headers: Readonly<Record<string, string>>;
  /** Applies credentials (to the file's origin only) and renews them after a 401. */
  readonly auth: AuthStrategy;
  /** Keep-alive pool with the source's TLS settings and timeouts. */
  readonly dispatcher: Dispatcher;
  readonly retry: RetryConfig;
  readonly signal?: AbortSignal;
}

/** An opened download: the body as it arrives, and what identifies the file's version. */
export interface OpenedDownload {
  readonly body: Readable;
  /** The ETag, or Last-Modified, when the server sent one. */
  readonly version?: string;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;
const TLS_CODE = /^(?:CERT_|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO_|ERR_TLS_|ERR_SSL_|HOSTNAME_MISMATCH)/;

/**
 * A URL for messages: no query string (it may hold a signature no secret registry knows about, as a
 * pre-signed download link does) and no user info.
 */
export function describeUrl(url: string): string {
  const parsed = URL.parse(url);
  return parsed ? redactSecrets(`${parsed.origin}${parsed.pathname}`) : '(unparsable URL)';
}

/**
 * Opens a streamed GET of a file. ferry's HTTP stack reads whole bodies into memory (right for pages,
 * wrong for a file of any size), so this one request is made here, on undici's streaming request(), with
 * the same rules: credentials and custom headers only for the file's origin (a redirect to a storage
 * host gets neither), 408/429/5xx and network failures retried with full-jitter backoff honouring
 * Retry-After, one credential renewal after a 401, and any other status a clear error naming the file.
 */
export async function openHttpDownload(options: HttpDownloadOptions): Promise<OpenedDownload> {
  const origin = new URL(options.url).origin;
  const started = Date.now();
  let url = options.url;
  let redirects = 0;
  let renewed = false;
  for (let attempt = 1; ; attempt++) {
    const what = `downloading ${options.name} from ${describeUrl(url)}`;
    let status: number;
    let retryAfterMs: number | undefined;
    let failure: string;
    try {
      const sameOrigin = new URL(url).origin === origin;
      const unsigned: HttpRequest = {
        method: 'GET',
        url,
        // identity: a gzip file is recognised by its bytes, and a server's on-the-fly compression would
        // hide the file's own.
        headers: { ...(sameOrigin ? options.headers : {}), 'accept-encoding': 'identity' },
        endpoint: 'source',
        attempt,
        ...(options.signal ? { signal: options.signal } : {}),
      };
      const signed = await options.auth.authorize(unsigned);
      const response = await undici().request(signed.url, {
        method: 'GET',
        headers: signed.headers,
        dispatcher: options.dispatcher,
        ...(options.signal ? { signal: options.signal } : {}),
      });
      status = response.statusCode;
      const header = (name: string): string | undefined => {
        const value = response.headers[name];
        return Array.isArray(value) ? value[0] : value;
      };
      if (status >= 200 && status < 300 && status !== 206) {
        const version = header('etag') ?? header('last-modified');
        return { body: response.body, ...(version === undefined ? {} : { version }) };
      }
      await response.body.dump().catch(() => undefined);
      const location = header('location');
      if (REDIRECTS.has(status) && location !== undefined) {
        if (++redirects > MAX_REDIRECTS) {
          throw new FerryError('FERRY_ERR_HTTP_STATUS', `${what}: more than ${MAX_REDIRECTS} redirects`, {
            details: { url: describeUrl(options.url), status },
          });
        }
        url = new URL(location, url).href;
        attempt--;
        continue;
      }
      if (status === 401 && !renewed) {
        renewed = true;
        if (await options.auth.refresh()) {
          attempt--;
          continue;
        }
      }
      if (status === 401 || status === 403) {
        throw new FerryError(
          'FERRY_ERR_HTTP_UNAUTHORIZED',
          `${what}: ${status}: the credentials were refused (source.auth, source.headers)`,
          { details: { url: describeUrl(url), status } },
        );
      }
      if (status !== 408 && status !== 429 && status < 500) {
        throw new FerryError('FERRY_ERR_HTTP_STATUS', `${what}: the server answered ${status}`, {
          details: { url: describeUrl(url), status },
        });
      }
      retryAfterMs = parseRetryAfter(header('retry-after'), {
        maxRetryAfterMs: options.retry.maxRetryAfterMs,
      });
      failure = `${status}`;
    } catch (error) {
      if (error instanceof FerryError) throw error;
      if (options.signal?.aborted) {
        throw new FerryError('FERRY_ERR_ABORTED', `${what}: aborted`, { cause: error });
      }
      const code = String((error as { code?: unknown } | null)?.code ?? 'UNKNOWN');
      const message = redactSecrets(error instanceof Error ? error.message : String(error));
      if (TLS_CODE.test(code)) {
        throw new FerryError('FERRY_ERR_HTTP_TLS', `${what}: TLS verification failed (${code}): ${message}`, {
          cause: error,
          details: { url: describeUrl(url), networkCode: code },
        });
      }
      failure = `network error ${code}: ${message}`;
    }
    const delayMs = Math.max(retryAfterMs ?? 0, backoffMs(options.retry, attempt));
    if (attempt >= options.retry.maxAttempts || Date.now() + delayMs - started > options.retry.maxElapsedMs) {
      throw new FerryError(
        'FERRY_ERR_RETRIES_EXHAUSTED',
        `${what}: ${failure} (attempt ${attempt} of ${options.retry.maxAttempts}); gave up`,
        { details: { url: describeUrl(url), attempts: attempt } },
      );
    }
    await sleep(delayMs, undefined, options.signal ? { signal: options.signal } : undefined);
  }
}

/** Full jitter: a random wait up to the doubled base delay, capped. */
export function backoffMs(retry: RetryConfig, attempt: number): number {
  const ceiling = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(Math.random() * ceiling);
}
