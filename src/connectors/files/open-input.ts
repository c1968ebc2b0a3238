import { type FileHandle, open } from 'node:fs/promises';
import { pipeline, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { FerryError } from '../../core/errors.ts';
import { type Compression, type CompressionOption, detectCompression } from './compression.ts';
import { type FileCheckpoint, type Fingerprint, sameFingerprint } from './file-checkpoint.ts';
import { type HttpDownloadOptions, openHttpDownload } from './http-download.ts';
import type { InputLocation } from './input-location.ts';

/** Enough bytes to recognise every compression detectCompression() knows. */
const MAGIC_BYTES = 8;

/** How to open a source file. */
export interface OpenInputOptions {
  readonly location: InputLocation;
  readonly compression: CompressionOption;
  /** Where the last read stopped; null reads from the start. */
  readonly resume: FileCheckpoint | null;
  /** How to download a URL (everything but the URL and name). */
  readonly download?: Omit<HttpDownloadOptions, 'url' | 'name' | 'signal'>;
  readonly signal?: AbortSignal;
}

/** A source file, opened and decoded, positioned where reading goes on. */
export interface OpenedInput {
  /** The decoded bytes from `start` on. */
  readonly stream: Readable;
  /** Offset of the stream's first byte in the decoded file. */
  readonly start: number;
  /** The line `start` is on. */
  readonly line: number;
  /** Records before `start`. */
  readonly records: number;
  /** The first bytes' fingerprint, when reading resumed past them. */
  readonly head?: Fingerprint;
  readonly compression: Compression;
  /** A download's ETag or Last-Modified. */
  readonly version?: string;
  /** Set when a checkpoint was given but the file is not the one it was taken of: why. */
  readonly restarted?: string;
}

/**
 * Opens a local file or a download, gunzips it when its first bytes say gzip, and positions it at the
 * checkpoint when the file is still the one the checkpoint was taken of. A plain local file seeks there;
 * anything else (gzip, a download) is read from its start and the bytes before the checkpoint are
 * dropped without parsing them. Either way the first bytes and the bytes just before the checkpoint are
 * compared with its fingerprints; a file that differs is read from the start instead.
 */
export async function openInput(options: OpenInputOptions): Promise<OpenedInput> {
  const { resume } = options;
  if (options.location.kind === 'file') {
    const handle = await openLocal(options.location.path, options.location.name);
    try {
      const first = await readAt(handle, 0, MAGIC_BYTES);
      const compression = decide(first, options);
      if (compression === 'none' && resume !== null) {
        const why = await localMismatch(handle, resume);
        if (why === undefined) {
          return {
            stream: handle.createReadStream({ start: resume.byte, autoClose: true }),
            start: resume.byte,
            line: resume.line,
            records: resume.records,
            head: resume.head,
            compression,
          };
        }
        return {
          ...fromStart(handle.createReadStream({ start: 0, autoClose: true }), compression),
          restarted: why,
        };
      }
      const raw = handle.createReadStream({ start: 0, autoClose: true });
      return await positioned(decoded(raw, compression), compression, resume, undefined, () =>
        openInput({ ...options, resume: null }),
      );
    } catch (error) {
      await handle.close().catch(() => undefined);
      throw error;
    }
  }
  const location = options.location;
  if (options.download === undefined) throw new Error('openInput: a URL needs download options');
  const opened = await openHttpDownload({
    ...options.download,
    url: location.url,
    name: location.name,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  if (resume?.version !== undefined && opened.version !== undefined && resume.version !== opened.version) {
    const { first, stream } = await peek(opened.body, MAGIC_BYTES);
    const compression = decide(first, options);
    return {
      ...fromStart(decoded(stream, compression), compression),
      version: opened.version,
      restarted: `${location.name} changed on the server since the checkpoint (its version is not ${resume.version})`,
    };
  }
  const { first, stream } = await peek(opened.body, MAGIC_BYTES);
  const compression = decide(first, options);
  return await positioned(decoded(stream, compression), compression, resume, opened.version, async () => {
    // The file changed under the same version tag: download it again and read it from its start.
    const again = await openInput({ ...options, resume: null });
    return again;
  });
}

function fromStart(stream: Readable, compression: Compression): OpenedInput {
  return { stream, start: 0, line: 1, records: 0, compression };
}

function decide(first: Buffer, options: OpenInputOptions): Compression {
  const detected = detectCompression(first, options.compression);
  if ('unsupported' in detected) {
    throw new FerryError(
      'FERRY_ERR_SOURCE_MALFORMED',
      `${options.location.name}: the file is ${detected.unsupported}; ferry reads plain or gzip-compressed files`,
      { details: { file: options.location.name } },
    );
  }
  return detected.compression;
}

async function openLocal(path: string, name: string): Promise<FileHandle> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (cause) {
    const code = (cause as { code?: string }).code;
    const why =
      code === 'ENOENT'
        ? 'does not exist'
        : code === 'EACCES'
          ? 'may not be read (permissions)'
          : `cannot be opened (${code})`;
    throw new FerryError('FERRY_ERR_CONFIG_NOT_FOUND', `source file ${path} ${why}`, {
      cause,
      details: { file: name, path },
    });
  }
  const stats = await handle.stat();
  if (!stats.isFile()) {
    await handle.close();
    throw new FerryError('FERRY_ERR_CONFIG_NOT_FOUND', `source file ${path} is not a file`, {
      details: { file: name, path },
    });
  }
  return handle;
}

async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}

/** Why a plain local file is not the one `resume` was taken of, or undefined when it is. */
async function localMismatch(handle: FileHandle, resume: FileCheckpoint): Promise<string | undefined> {
  const { size } = await handle.stat();
  if (size < resume.byte) return `${resume.file} is shorter than at the checkpoint (byte ${resume.byte})`;
  const head = await readAt(handle, 0, resume.head.length);
  const before = await readAt(handle, resume.byte - resume.before.length, resume.before.length);
  if (!sameFingerprint(head, resume.head) || !sameFingerprint(before, resume.before))
    return `${resume.file} changed since the checkpoint (line ${resume.line})`;
  return undefined;
}

function decoded(raw: Readable, compression: Compression): Readable {
  if (compression === 'none') return raw;
  const gunzip = createGunzip();
  // pipeline destroys both on a failure of either, so a read error reaches whoever reads the gunzip side.
  pipeline(raw, gunzip, () => undefined);
  return gunzip;
}

/** Reads the first `size` bytes (fewer at the end) and gives back a stream that still starts with them. */
async function peek(stream: Readable, size: number): Promise<{ first: Buffer; stream: Readable }> {
  const iterator = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const held: Buffer[] = [];
  let length = 0;
  let done = false;
  while (length < size) {
    const next = await iterator.next();
    if (next.done) {
      done = true;
      break;
    }
    held.push(next.value);
    length += next.value.length;
  }
  const first = Buffer.concat(held).subarray(0, size);
  return { first, stream: Readable.from(resumeWith(held, iterator, done), { objectMode: false }) };
}

async function* resumeWith(
  held: readonly Buffer[],
  iterator: AsyncIterator<Buffer>,
  done: boolean,
): AsyncGenerator<Buffer> {
  try {
    for (const chunk of held) if (chunk.length > 0) yield chunk;
    if (done) return;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  } finally {
    // The reader stopped early (or failed): let the stream underneath release its file or socket.
    await iterator.return?.();
  }
}

/**
 * Drops the decoded bytes before `resume.byte`, checking the file's first bytes and the bytes just before
 * the checkpoint on the way; a stream that differs, or ends first, is read anew from its start.
 */
async function positioned(
  stream: Readable,
  compression: Compression,
  resume: FileCheckpoint | null,
  version: string | undefined,
  reopen: () => Promise<OpenedInput>,
): Promise<OpenedInput> {
  const withVersion = version === undefined ? {} : { version };
  if (resume === null || resume.byte === 0) return { ...fromStart(stream, compression), ...withVersion };
  const iterator = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  const head: Buffer[] = [];
  let headLength = 0;
  const windowStart = resume.byte - resume.before.length;
  const window: Buffer[] = [];
  let offset = 0;
  const rest: Buffer[] = [];
  // Past the checkpoint too when the first bytes' fingerprint reaches further (a file shorter than the
  // window when the read began).
  while (offset < resume.byte || headLength < resume.head.length) {
    const next = await iterator.next();
    if (next.done) break;
    const chunk = next.value;
    const stop = offset + chunk.length;
    if (headLength < resume.head.length) {
      const part = chunk.subarray(0, resume.head.length - headLength);
      head.push(part);
      headLength += part.length;
    }
    if (stop > windowStart && offset < resume.byte)
      window.push(chunk.subarray(Math.max(0, windowStart - offset), resume.byte - offset));
    if (stop > resume.byte) rest.push(chunk.subarray(Math.max(0, resume.byte - offset)));
    offset = stop;
  }
  const same =
    offset >= resume.byte &&
    sameFingerprint(Buffer.concat(head), resume.head) &&
    sameFingerprint(Buffer.concat(window), resume.before);
  if (!same) {
    await iterator.return?.();
    stream.destroy();
    const again = await reopen();
    return { ...again, restarted: `${resume.file} changed since the checkpoint (line ${resume.line})` };
  }
  return {
    stream: Readable.from(resumeWith(rest, iterator, false), { objectMode: false }),
    start: resume.byte,
    line: resume.line,
    records: resume.records,
    head: resume.head,
    compression,
    ...withVersion,
  };
}
