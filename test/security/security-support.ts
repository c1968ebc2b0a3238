import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FaultOptions } from '../../src/mocks/fault-options.ts';
import { type MockDestinationHandle, startMockDestination } from '../../src/mocks/mock-destination.ts';
import { type MockSourceHandle, startMockSource } from '../../src/mocks/mock-source.ts';

/** A long, distinctive secret that cannot appear anywhere by accident. */
export function distinctiveSecret(label: string): string {
  return `ferrytest-${label}-${randomBytes(24).toString('hex')}`;
}

/** A fresh temporary directory; remove it with `removeDir`. */
export function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `ferry-security-${prefix}-`));
}

/** Removes a directory tree, ignoring errors. */
export async function removeDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** One HTTP request a test listener received, as it arrived. */
export interface SeenRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/** A node:http server on 127.0.0.1 port 0 that records every request before the handler answers. */
export interface Listener {
  readonly origin: string;
  readonly requests: SeenRequest[];
  close(): Promise<void>;
}

/** Starts a recording listener; `handler` answers (it may be async and may never end the response). */
export async function startListener(
  handler: (req: SeenRequest, res: ServerResponse) => void | Promise<void>,
): Promise<Listener> {
  const requests: SeenRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const seen: SeenRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(seen);
      void Promise.resolve(handler(seen, res)).catch(() => res.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A free TCP port on 127.0.0.1 (bound, read and released). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The flagship's mocks started with known credentials, and a recording proxy in front of the token URL. */
export interface SecretMocks {
  readonly source: MockSourceHandle;
  readonly destination: MockDestinationHandle;
  readonly env: Record<string, string>;
  readonly apiKey: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** Every access token the destination issued through the proxy, in order. */
  readonly issuedTokens: string[];
  close(): Promise<void>;
}

/**
 * Starts the mock customer and order APIs with distinctive credentials. DEST_TOKEN_URL points at a small
 * proxy that forwards to the mock's token endpoint and keeps each access_token it relays, because the
 * mock does not expose the tokens it issued.
 */
export async function startSecretMocks(
  options: {
    count?: number;
    perPage?: number;
    destinationFaults?: FaultOptions;
    tokenTtlSeconds?: number;
  } = {},
): Promise<SecretMocks> {
  const apiKey = distinctiveSecret('apikey');
  const clientId = distinctiveSecret('clientid');
  const clientSecret = distinctiveSecret('clientsecret');
  const source = await startMockSource({ count: options.count ?? 60, seed: 42, apiKey });
  const destination = await startMockDestination({
    seed: 42,
    clientId,
    clientSecret,
    ...(options.destinationFaults ? { faults: options.destinationFaults } : {}),
    ...(options.tokenTtlSeconds ? { tokenTtlSeconds: options.tokenTtlSeconds } : {}),
  });
  const issuedTokens: string[] = [];
  const proxy = await startListener(async (req, res) => {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === 'string' && !['host', 'connection', 'content-length'].includes(name))
        headers[name] = value;
    }
    const answer = await fetch(destination.tokenUrl, { method: req.method, headers, body: req.body });
    const text = await answer.text();
    try {
      const token = (JSON.parse(text) as { access_token?: unknown }).access_token;
      if (typeof token === 'string') issuedTokens.push(token);
    } catch {
      // not JSON: an error answer, relayed as is
    }
    res.writeHead(answer.status, {
      'content-type': answer.headers.get('content-type') ?? 'application/json',
      'cache-control': 'no-store',
    });
    res.end(text);
  });
  const env = {
    SOURCE_URL: options.perPage ? `${source.url}?per_page=${options.perPage}` : source.url,
    SOURCE_API_KEY: apiKey,
    DEST_URL: destination.ordersUrl,
    DEST_TOKEN_URL: `${proxy.origin}/oauth/token`,
    DEST_CLIENT_ID: clientId,
    DEST_CLIENT_SECRET: clientSecret,
  };
  return {
    source,
    destination,
    env,
    apiKey,
    clientId,
    clientSecret,
    issuedTokens,
    close: async () => {
      await Promise.all([source.close(), destination.close(), proxy.close()]);
    },
  };
}

/** Bytes ferry wrote somewhere, named for the failure message. */
export interface Written {
  readonly name: string;
  readonly bytes: Buffer;
}

/** Every file under `dir` (recursively), read as raw bytes: SQLite db, WAL and SHM files included. */
export async function filesUnder(dir: string): Promise<Written[]> {
  const out: Written[] = [];
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []);
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    const path = join(entry.parentPath, entry.name);
    out.push({ name: path, bytes: await readFile(path).catch(() => Buffer.alloc(0)) });
  }
  return out;
}

/**
 * Where each secret (and its usual encodings: base64 in a Basic header, URL-encoded) occurs in what was
 * written, as "secret-name in written-name" lines; empty when nothing leaked.
 */
export function findSecrets(
  written: readonly Written[],
  secrets: Readonly<Record<string, string>>,
): string[] {
  const hits: string[] = [];
  for (const [secretName, value] of Object.entries(secrets)) {
    const forms = new Set([value, encodeURIComponent(value), Buffer.from(value).toString('base64')]);
    for (const w of written) {
      for (const form of forms) {
        if (w.bytes.includes(Buffer.from(form, 'utf8'))) {
          hits.push(`${secretName}${form === value ? '' : ' (encoded)'} in ${w.name}`);
          break;
        }
      }
    }
  }
  return hits;
}

/** Text as a Written entry. */
export function text(name: string, value: string): Written {
  return { name, bytes: Buffer.from(value, 'utf8') };
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const TERMINAL_UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f]/;
// biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
const NOT_ONE_LINE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

/** True when text holds a control character a terminal would act on (newline and tab excepted). */
export function terminalUnsafe(value: string): boolean {
  return TERMINAL_UNSAFE.test(value);
}

/** True when text is not a single clean line (any control character or line separator). */
export function notOneLine(value: string): boolean {
  return NOT_ONE_LINE.test(value);
}
