import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type * as Undici from 'undici';
import { z } from 'zod';
import { createAuthStrategy } from '../../auth/create-auth-strategy.ts';
import { toAuthConfig } from '../../config/auth-schema.ts';
import { duration } from '../../config/field-types.ts';
import { type SourceHttpOptions, sourceHttpShape } from '../../config/http-options.ts';
import { toRetryConfig } from '../../config/retry-schema.ts';
import { toTlsConfig } from '../../config/tls-schema.ts';
import { FerryError } from '../../core/errors.ts';
import { lazyModule } from '../../core/lazy-module.ts';
import type { ConnectorContext } from '../spec.ts';
import type { HttpDownloadOptions } from './http-download.ts';
import { type InputLocation, resolveInputLocation } from './input-location.ts';

/** undici, loaded when a file is downloaded: `ferry validate` and local files never need it. */
const undici = lazyModule<typeof Undici>('undici');

/** The largest page a file source hands out at once. */
const MAX_PAGE_SIZE = 100_000;

/**
 * The options every file source shares: where the file is, how it is compressed, how many records a page
 * holds, and, for a download, the HTTP options ferry's other sources take (auth, headers, timeouts, retry,
 * tls). Spread into a format's options schema.
 */
export function fileSourceShape() {
  const http = sourceHttpShape();
  return {
    path: z
      .string()
      .min(1)
      .describe(
        'The file: a local path (relative to the integration file), a file:// URL or an https:// URL (plain http only to loopback). Read as a stream, never whole. auth, headers, timeouts, retry and tls apply to a download only; a local file ignores them.',
      ),
    compression: z
      .enum(['auto', 'gzip', 'none'])
      .default('auto')
      .describe('`auto` gunzips a file whose first bytes say gzip, whatever its name.'),
    page_size: z
      .number()
      .int()
      .min(1)
      .max(MAX_PAGE_SIZE)
      .default(1000)
      .describe('Records per page: the unit the engine checkpoints after.'),
    auth: http.auth,
    headers: http.headers,
    timeouts: z
      .strictObject({
        connect: duration().prefault('10s').describe('Time to open the TCP/TLS connection.'),
        headers: duration().prefault('30s').describe('Time until the response headers arrive.'),
        body: duration()
          .prefault('60s')
          .describe(
            'Longest pause between two chunks of the body: a download may take long, but never stall.',
          ),
      })
      .prefault({})
      .describe(
        'Time limits of a download; a timeout is retried, and a download that stalls mid-file is opened again at the last page.',
      ),
    retry: http.retry,
    tls: http.tls,
  };
}

const fileSourceObject = z.strictObject(fileSourceShape());

/** The file source options, parsed. */
export type FileSourceOptions = z.output<typeof fileSourceObject>;

/** A file source's location and, for a URL, its download settings and what to close after the run. */
export interface FileSourceParts {
  readonly location: InputLocation;
  readonly download?: Omit<HttpDownloadOptions, 'url' | 'name' | 'signal'>;
  readonly retry: ReturnType<typeof toRetryConfig>;
  close(): Promise<void>;
}

/**
 * Resolves a file source's path and, for a URL, builds what downloading it needs: a keep-alive pool with
 * the source's timeouts and TLS files (a CA bundle, a client certificate), and its credentials, sent only
 * to the file's own origin.
 */
export function fileSourceParts(options: FileSourceOptions, context: ConnectorContext): FileSourceParts {
  const location = resolveInputLocation(options.path, context.baseDir, context.allowInsecureHttp);
  const retry = toRetryConfig(options.retry);
  // A local file needs none of the download settings; credentials set for a download (one config for
  // both, as the examples have it) are simply not used, and go nowhere.
  if (location.kind === 'file') return { location, retry, close: async () => undefined };
  const dispatcher = new (undici().Agent)({
    connections: 2,
    headersTimeout: options.timeouts.headers,
    // undici's body timeout is the pause between two chunks, as the option says.
    bodyTimeout: options.timeouts.body,
    connect: { timeout: options.timeouts.connect, ...readTls(options.tls, context.baseDir) },
  });
  const strategy = createAuthStrategy(toAuthConfig(options.auth), {
    allowedOrigins: [new URL(location.url).origin],
    allowInsecureHttp: context.allowInsecureHttp,
  });
  return {
    location,
    retry,
    download: { headers: options.headers, auth: strategy, dispatcher, retry },
    close: async () => {
      await Promise.allSettled([dispatcher.close(), strategy.close?.()]);
    },
  };
}

/** The CA bundle and client certificate files of `tls`, read. */
function readTls(tls: SourceHttpOptions['tls'], baseDir: string) {
  const config = toTlsConfig(tls);
  const read = (path: string, what: string): string => {
    const full = resolve(baseDir, path);
    try {
      return readFileSync(full, 'utf8');
    } catch (cause) {
      throw new FerryError('FERRY_ERR_CONFIG_NOT_FOUND', `cannot read source.tls.${what} ${full}`, { cause });
    }
  };
  return {
    // `ca` replaces Node's trust store, so the system roots go along with the extra bundle.
    ...(config.caFile
      ? { ca: [...process.getBuiltinModule('node:tls').rootCertificates, read(config.caFile, 'ca_file')] }
      : {}),
    ...(config.certFile ? { cert: read(config.certFile, 'cert_file') } : {}),
    ...(config.keyFile ? { key: read(config.keyFile, 'key_file') } : {}),
    ...(config.passphrase ? { passphrase: config.passphrase } : {}),
  };
}
