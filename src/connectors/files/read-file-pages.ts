import { pipeline, type Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RetryConfig } from '../../config/retry-schema.ts';
import type { Checkpoint, SourcePage } from '../../core/connector-types.ts';
import { FerryError } from '../../core/errors.ts';
import type { Reason } from '../../core/ledger-types.ts';
import type { CompressionOption } from './compression.ts';
import { type FileCheckpoint, fingerprint } from './file-checkpoint.ts';
import { backoffMs, type HttpDownloadOptions } from './http-download.ts';
import type { InputLocation } from './input-location.ts';
import { LineTracker } from './line-tracker.ts';
import { openInput } from './open-input.ts';

/** One record as a format's parser found it. */
export interface ParsedRecord {
  /** What was read; for a rejected record, as much of it as could be read, for its dead letter. */
  readonly value: unknown;
  /** Offset of its first byte in the decoded file (after any blank lines before it). */
  readonly start: number;
  /** Offset just past it (and its line ending). */
  readonly end: number;
  /** Set when the record is damaged: quarantined with these reasons instead of mapped. */
  readonly reasons?: readonly [Reason, ...Reason[]];
}

/**
 * The file cannot be read as its format at `offset` (bad quoting, binary content): the run ends, with the
 * file and the line of `offset` named.
 */
export class MalformedInputError extends Error {
  readonly offset: number;
  constructor(offset: number, message: string) {
    super(message);
    this.name = 'MalformedInputError';
    this.offset = offset;
  }
}

/** A format (CSV, NDJSON) reading the decoded bytes of one opened file. */
export interface FormatReader<Extra extends object> {
  /**
   * Parses `input` (the decoded bytes from `start`) into records. `resumed` is the format's part of the
   * checkpoint reading continues from (the CSV header's names), or null at the file's start.
   */
  read(options: {
    readonly input: Readable;
    readonly tracker: LineTracker;
    readonly start: number;
    readonly resumed: Extra | null;
  }): {
    readonly records: AsyncIterable<ParsedRecord>;
    /** The format's part of a checkpoint taken now. */
    checkpoint(): Extra;
  };
}

/** How a file source reads. */
export interface FilePagesOptions<Extra extends object> {
  readonly location: InputLocation;
  readonly compression: CompressionOption;
  /** Records per page. */
  readonly pageSize: number;
  /** Everything a download needs but its URL; unused for a local file. */
  readonly download?: Omit<HttpDownloadOptions, 'url' | 'name' | 'signal'>;
  /** Reopens of a download that broke off mid-file. */
  readonly retry: RetryConfig;
  readonly format: FormatReader<Extra>;
  /** Reads the checkpoint the engine hands back; null starts over. */
  readonly readCheckpoint: (from: Checkpoint | null) => (FileCheckpoint & Extra) | null;
}

/** Network failures of a download's body that a reopen at the last checkpoint gets past. */
const TRANSIENT_STREAM_CODES = new Set([
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_ABORTED',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Reads a file page by page: opens it (resuming at the checkpoint when the file is the same one), counts
 * lines, lets the format parse records, and yields pages whose positions are `<file>:<line>`. A download
 * that breaks off is opened again at the last page handed out; a malformed file ends the read with a
 * FerryError naming the file and line, after the records before the damage were handed out.
 */
export async function* readFilePages<Extra extends object>(
  options: FilePagesOptions<Extra>,
  from: Checkpoint | null,
  signal: AbortSignal,
): AsyncGenerator<SourcePage> {
  const { location, format, pageSize } = options;
  const name = location.name;
  let resume = options.readCheckpoint(from);
  let reopened = 0;
  for (;;) {
    signal.throwIfAborted();
    const opened = await openInput({
      location,
      compression: options.compression,
      resume,
      ...(options.download ? { download: options.download } : {}),
      signal,
    });
    if (opened.restarted !== undefined) resume = null;
    const tracker = new LineTracker(opened.start, opened.line);
    pipeline(opened.stream, tracker, () => undefined);
    const reader = format.read({
      input: tracker,
      tracker,
      start: opened.start,
      resumed: opened.start > 0 ? (resume as Extra | null) : null,
    });
    let note = opened.restarted;
    let recordsBefore = opened.records;
    let page: unknown[] = [];
    let positions: string[] = [];
    let rejects = new Map<number, readonly [Reason, ...Reason[]]>();
    let firstLine = 0;
    let lastLine = 0;
    let pageEnd = opened.start;
    const head = (): FileCheckpoint['head'] => opened.head ?? fingerprint(tracker.head());
    const takePage = (next: Checkpoint | null): SourcePage => {
      const lines = page.length === 0 ? `${name}: no records` : `${name} lines ${firstLine}-${lastLine}`;
      const taken: SourcePage = {
        records: page,
        positions,
        ...(rejects.size > 0 ? { rejects } : {}),
        label: note === undefined ? lines : `${lines} (${note}: read from the start)`,
        next,
        recordsBefore,
      };
      recordsBefore += page.length;
      page = [];
      positions = [];
      rejects = new Map();
      note = undefined;
      return taken;
    };
    const checkpointAt = (end: number, records: number): FileCheckpoint & Extra => ({
      ...reader.checkpoint(),
      file: name,
      byte: end,
      line: tracker.lineAt(end),
      records,
      head: head(),
      before: fingerprint(tracker.bytesBefore(end)),
      ...(opened.version === undefined ? {} : { version: opened.version }),
    });
    try {
      for await (const record of reader.records) {
        if (page.length === pageSize) {
          // Handed out only once another record proves it is not the last page.
          const next = checkpointAt(pageEnd, recordsBefore + page.length);
          // Plain JSON by construction (numbers, strings, the format's string lists).
          yield takePage(next as unknown as Checkpoint);
          resume = next;
          reopened = 0;
          signal.throwIfAborted();
        }
        const line = tracker.lineAt(record.start);
        if (page.length === 0) firstLine = line;
        lastLine = line;
        if (record.reasons !== undefined) rejects.set(page.length, record.reasons);
        page.push(record.value);
        positions.push(`${name}:${line}`);
        pageEnd = record.end;
      }
      yield takePage(null);
      return;
    } catch (error) {
      if (signal.aborted) throw error;
      const code = codeOf(error);
      if (
        location.kind === 'url' &&
        code !== undefined &&
        TRANSIENT_STREAM_CODES.has(code) &&
        ++reopened < options.retry.maxAttempts
      ) {
        await sleep(backoffMs(options.retry, reopened), undefined, { signal });
        continue;
      }
      throw describeFailure(error, name, tracker);
    } finally {
      opened.stream.destroy();
      tracker.destroy();
    }
  }
}

/** Turns what broke a read into a FerryError naming the file and the line. */
function describeFailure(error: unknown, name: string, tracker: LineTracker): unknown {
  if (error instanceof FerryError) return error;
  const lineAt = (offset: number): number => {
    try {
      return tracker.lineAt(offset);
    } catch {
      return tracker.lineAt(tracker.through);
    }
  };
  if (error instanceof MalformedInputError) {
    const line = lineAt(error.offset);
    return new FerryError('FERRY_ERR_SOURCE_MALFORMED', `${name}:${line}: ${error.message}`, {
      cause: error,
      details: { file: name, line },
    });
  }
  const code = codeOf(error);
  const line = lineAt(tracker.through);
  if (code === 'Z_BUF_ERROR' || code === 'Z_DATA_ERROR' || code === 'Z_NEED_DICT') {
    const what =
      code === 'Z_BUF_ERROR'
        ? 'the gzip data ends early (a truncated file or download?)'
        : 'the gzip data is corrupt';
    return new FerryError('FERRY_ERR_SOURCE_MALFORMED', `${name}:${line}: ${what}`, {
      cause: error,
      details: { file: name, line, zlib: code },
    });
  }
  if (code !== undefined && TRANSIENT_STREAM_CODES.has(code)) {
    return new FerryError(
      'FERRY_ERR_RETRIES_EXHAUSTED',
      `${name}: the download kept breaking off (${code}), last near line ${line}; a rerun resumes at the last settled page`,
      { cause: error, details: { file: name, line } },
    );
  }
  // A bug, not the file: let it surface as what it is.
  if (code === undefined) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new FerryError('FERRY_ERR_SOURCE_MALFORMED', `${name}:${line}: cannot be read: ${message}`, {
    cause: error,
    details: { file: name, line },
  });
}
