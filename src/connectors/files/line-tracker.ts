import { Transform, type TransformCallback } from 'node:stream';

const LF = 0x0a;
const CR = 0x0d;

/** Bytes kept behind the cursor, so a checkpoint can fingerprint what lies just before it. */
export const WINDOW_BYTES = 4096;

interface Chunk {
  readonly start: number;
  readonly bytes: Buffer;
}

/**
 * Passes a byte stream through unchanged and turns byte offsets into line numbers. Parsers count lines
 * themselves, but csv-parse counts a CRLF inside a quoted field twice, and a record's reason must name the
 * physical line it starts on; so lines are counted here, once, over the very bytes the parser reads.
 * Offsets asked for only move forward; the chunks behind the cursor are dropped (but the last
 * WINDOW_BYTES), so memory holds only what the parser has buffered.
 */
export class LineTracker extends Transform {
  readonly #chunks: Chunk[] = [];
  readonly #head: Buffer[] = [];
  #headLength = 0;
  #end: number;
  #cursor: number;
  #line: number;

  /** `start` is the byte offset of the stream's first byte in the file, `line` the line it is on. */
  constructor(start = 0, line = 1) {
    super();
    this.#end = start;
    this.#cursor = start;
    this.#line = line;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.#chunks.push({ start: this.#end, bytes: chunk });
    if (this.#end === this.#headLength && this.#headLength < WINDOW_BYTES) {
      const part = chunk.subarray(0, WINDOW_BYTES - this.#headLength);
      this.#head.push(part);
      this.#headLength += part.length;
    }
    this.#end += chunk.length;
    done(null, chunk);
  }

  /** Offset just past the last byte that went through (not `end`: a stream has one). */
  get through(): number {
    return this.#end;
  }

  /** The file's first bytes (up to WINDOW_BYTES), when this stream started at the file's start. */
  head(): Buffer {
    return Buffer.concat(this.#head);
  }

  /** The line `offset` is on (1-based); `offset` may not be behind an offset asked for before. */
  lineAt(offset: number): number {
    this.#advance(offset);
    return this.#line;
  }

  /**
   * The first offset at or after `from` that holds neither CR nor LF: where a record starts once the
   * blank lines a parser skips are behind it. Stops at the end of what went through.
   */
  skipBlank(from: number): number {
    let offset = Math.max(from, this.#cursor);
    for (const { start, bytes } of this.#chunks) {
      if (start + bytes.length <= offset) continue;
      for (let i = offset - start; i < bytes.length; i++) {
        const byte = bytes[i];
        if (byte !== LF && byte !== CR) return start + i;
      }
      offset = start + bytes.length;
    }
    return offset;
  }

  /** Up to `size` bytes that end at `offset` (the cursor or before), as far as they are still held. */
  bytesBefore(offset: number, size = WINDOW_BYTES): Buffer {
    const from = Math.max(0, offset - size);
    const parts: Buffer[] = [];
    for (const { start, bytes } of this.#chunks) {
      const stop = start + bytes.length;
      if (stop <= from || start >= offset) continue;
      parts.push(bytes.subarray(Math.max(from, start) - start, Math.min(offset, stop) - start));
    }
    return Buffer.concat(parts);
  }

  #advance(offset: number): void {
    if (offset < this.#cursor) throw new Error(`line tracker moved back from ${this.#cursor} to ${offset}`);
    for (const { start, bytes } of this.#chunks) {
      const stop = start + bytes.length;
      if (stop <= this.#cursor) continue;
      if (start >= offset) break;
      let at = this.#cursor - start;
      const until = Math.min(offset, stop) - start;
      for (;;) {
        const found = bytes.indexOf(LF, at);
        if (found === -1 || found >= until) break;
        this.#line++;
        at = found + 1;
      }
      this.#cursor = start + until;
    }
    this.#cursor = Math.max(this.#cursor, Math.min(offset, this.#end));
    // Keep a window's worth of bytes behind the cursor for bytesBefore().
    while (this.#chunks.length > 1) {
      const first = this.#chunks[0]!;
      if (first.start + first.bytes.length + WINDOW_BYTES > this.#cursor) break;
      this.#chunks.shift();
    }
  }
}
