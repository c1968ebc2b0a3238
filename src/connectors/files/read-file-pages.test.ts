import { writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Agent } from 'undici';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { tempDirs } from '../../../test/support/temp-dirs.ts';
import { createAuthStrategy } from '../../auth/create-auth-strategy.ts';
import type { Checkpoint, SourcePage } from '../../core/connector-types.ts';
import { type FerryError, hasErrorCode } from '../../core/errors.ts';
import { fileCheckpointSchema, readCheckpoint } from './file-checkpoint.ts';
import { resolveInputLocation } from './input-location.ts';
import { type FormatReader, type ParsedRecord, readFilePages } from './read-file-pages.ts';

const dirs = tempDirs('ferry-file-pages-');
afterAll(() => dirs.removeAll());

/** The simplest format: each non-empty line is a record, its text the value. */
const lineFormat: FormatReader<Record<never, never>> = {
  read({ input, start }) {
    async function* records(): AsyncGenerator<ParsedRecord> {
      let offset = start;
      let rest = '';
      let restStart = start;
      for await (const chunk of input as AsyncIterable<Buffer>) {
        rest += chunk.toString('latin1');
        offset += chunk.length;
        for (let newline = rest.indexOf('\n'); newline !== -1; newline = rest.indexOf('\n')) {
          const line = rest.slice(0, newline);
          if (line !== '') yield { value: line, start: restStart, end: restStart + newline + 1 };
          restStart += newline + 1;
          rest = rest.slice(newline + 1);
        }
      }
      if (rest !== '') yield { value: rest, start: restStart, end: offset };
    }
    return { records: records(), checkpoint: () => ({}) };
  },
};

const retry = { maxAttempts: 4, maxElapsedMs: 60_000, baseDelayMs: 1, maxDelayMs: 5, maxRetryAfterMs: 50 };
const content = `${Array.from({ length: 40 }, (_, i) => `record ${i + 1}`).join('\n')}\n`;

let servers: Server[] = [];
let agents: Agent[] = [];
afterEach(async () => {
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  await Promise.all(agents.map((agent) => agent.close()));
  servers = [];
  agents = [];
});

async function serve(handler: (request: IncomingMessage, response: ServerResponse) => void): Promise<string> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function download(url: string, auth = createAuthStrategy({ type: 'none' }, { allowedOrigins: [url] })) {
  const agent = new Agent({ bodyTimeout: 5_000, headersTimeout: 5_000 });
  agents.push(agent);
  return { headers: { 'x-tenant': 'acme' }, auth, dispatcher: agent, retry };
}

async function readAll(options: Parameters<typeof readFilePages>[0], from: Checkpoint | null = null) {
  const pages: SourcePage[] = [];
  for await (const page of readFilePages(options, from, new AbortController().signal)) pages.push(page);
  return pages;
}

function optionsFor(path: string, baseDir: string, extra: { download?: ReturnType<typeof download> } = {}) {
  return {
    location: resolveInputLocation(path, baseDir, false),
    compression: 'auto' as const,
    pageSize: 10,
    retry,
    format: lineFormat,
    readCheckpoint: (from: Checkpoint | null) => readCheckpoint(fileCheckpointSchema, from),
    ...extra,
  };
}

describe('reading a file over https (here plain http on loopback)', () => {
  it('streams it with the headers and credentials, gunzipped, each line named', async () => {
    const seen: Array<Record<string, unknown>> = [];
    const url = await serve((request, response) => {
      seen.push(request.headers);
      response.setHeader('etag', '"v1"');
      response.end(gzipSync(content));
    });
    const auth = createAuthStrategy({ type: 'bearer', token: 'tok-123' }, { allowedOrigins: [url] });
    const pages = await readAll(
      optionsFor(`${url}/exports/customers.txt?sig=secret`, '/', { download: download(url, auth) }),
    );
    expect(pages.flatMap((page) => page.records)).toHaveLength(40);
    expect(pages[0]!.positions![0]).toBe('customers.txt:1');
    expect(pages[0]!.next).toMatchObject({ version: '"v1"', line: 11, records: 10 });
    expect(seen[0]).toMatchObject({
      authorization: 'Bearer tok-123',
      'x-tenant': 'acme',
      'accept-encoding': 'identity',
    });
  });

  it('retries a 503 (honouring Retry-After) and a refused connection, then reads', async () => {
    let calls = 0;
    const url = await serve((_request, response) => {
      calls++;
      if (calls === 1) {
        response.writeHead(503, { 'retry-after': '0' }).end();
        return;
      }
      if (calls === 2) {
        response.socket?.destroy();
        return;
      }
      response.end(content);
    });
    const pages = await readAll(optionsFor(`${url}/c.txt`, '/', { download: download(url) }));
    expect(pages.flatMap((page) => page.records)).toHaveLength(40);
    expect(calls).toBe(3);
  });

  it('opens a download that broke off again at the last page handed out, skipping what came before', async () => {
    let calls = 0;
    const body = Buffer.from(content);
    const url = await serve((_request, response) => {
      calls++;
      response.setHeader('content-length', body.length);
      if (calls === 1) {
        // Half the file, then the connection drops.
        response.write(body.subarray(0, 170), () => response.socket?.destroy());
        return;
      }
      response.end(body);
    });
    const pages = await readAll(optionsFor(`${url}/c.txt`, '/', { download: download(url) }));
    const records = pages.flatMap((page) => page.records);
    expect(records).toEqual(content.trim().split('\n'));
    expect(pages.flatMap((page) => page.positions)).toEqual(records.map((_, i) => `c.txt:${i + 1}`));
    expect(calls).toBe(2);
  });

  it('sends neither credentials nor headers to another origin a redirect points at', async () => {
    const seen: Array<Record<string, unknown>> = [];
    const storage = await serve((request, response) => {
      seen.push(request.headers);
      response.end(content);
    });
    const url = await serve((_request, response) => {
      response.writeHead(302, { location: `${storage}/blob/c.txt` }).end();
    });
    const auth = createAuthStrategy({ type: 'bearer', token: 'tok-123' }, { allowedOrigins: [url] });
    const pages = await readAll(optionsFor(`${url}/c.txt`, '/', { download: download(url, auth) }));
    expect(pages.flatMap((page) => page.records)).toHaveLength(40);
    expect(seen[0]!.authorization).toBeUndefined();
    expect(seen[0]!['x-tenant']).toBeUndefined();
  });

  it('names the file and status of a 404, and of refused credentials', async () => {
    const url = await serve((request, response) => {
      response.writeHead(request.url?.startsWith('/missing') ? 404 : 401).end();
    });
    const missing = await readAll(
      optionsFor(`${url}/missing/c.txt?sig=abc`, '/', { download: download(url) }),
    ).catch((e: unknown) => e);
    expect(hasErrorCode(missing, 'FERRY_ERR_HTTP_STATUS')).toBe(true);
    expect((missing as FerryError).message).toBe(
      `downloading c.txt from ${url}/missing/c.txt: the server answered 404`,
    );
    const refused = await readAll(optionsFor(`${url}/c.txt`, '/', { download: download(url) })).catch(
      (e: unknown) => e,
    );
    expect(hasErrorCode(refused, 'FERRY_ERR_HTTP_UNAUTHORIZED')).toBe(true);
  });

  it('resumes a download by skipping to the checkpoint, and starts over when the version changed', async () => {
    let version = '"v1"';
    const url = await serve((_request, response) => {
      response.setHeader('etag', version);
      response.end(content);
    });
    const options = optionsFor(`${url}/c.txt`, '/', { download: download(url) });
    const pages = await readAll(options);
    const resumed = await readAll(options, pages[2]!.next);
    expect(resumed.flatMap((page) => page.records)).toEqual(pages[3]!.records);
    version = '"v2"';
    const anew = await readAll(options, pages[2]!.next);
    expect(anew.flatMap((page) => page.records)).toHaveLength(40);
    expect(anew[0]!.label).toMatch(/changed on the server since the checkpoint/);
  });
});

describe('reading a local file', () => {
  it('refuses plain http off loopback and other schemes', () => {
    expect(() => resolveInputLocation('http://example.com/c.csv', '/', false)).toThrow(/not a loopback host/);
    expect(() => resolveInputLocation('ftp://example.com/c.csv', '/', false)).toThrow(
      /local path or an https/,
    );
    expect(resolveInputLocation('http://example.com/c.csv', '/', true)).toMatchObject({
      kind: 'url',
      name: 'c.csv',
    });
    expect(resolveInputLocation('file:///data/c.csv', '/', false)).toEqual({
      kind: 'file',
      path: '/data/c.csv',
      name: 'c.csv',
    });
  });

  it('checks an empty file reads as one empty last page', async () => {
    const dir = await dirs.make();
    await writeFile(join(dir, 'empty.txt'), '');
    const pages = await readAll(optionsFor('empty.txt', dir));
    expect(pages).toEqual([
      { records: [], positions: [], label: 'empty.txt: no records', next: null, recordsBefore: 0 },
    ]);
  });
});
