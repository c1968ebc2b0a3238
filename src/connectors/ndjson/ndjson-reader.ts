import { isUtf8 } from 'node:buffer';
import { pipeline, type Readable } from 'node:stream';
import type { Reason } from '../../core/ledger-types.ts';
import { BomSkipper } from '../files/bom-skipper.ts';
import { type FormatReader, MalformedInputError, type ParsedRecord } from '../files/read-file-pages.ts';

/** How NDJSON is read. */
export interface NdjsonReadOptions {
  /** Longest line, in bytes; a longer one ends the read as malformed. */
  readonly maxRecordBytes: number;
}

const LF = 0x0a;
const CR = 0x0d;
/** Lines that are not UTF-8, past which the file is taken for binary or another encoding. */
const MAX_ENCODING_REJECTS = 100;
/** A dead letter keeps this much of a line that is not JSON. */
const MAX_KEPT_TEXT = 64 * 1024;

/**
 * Reads NDJSON (JSON Lines): one JSON value per line, blank lines skipped, CRLF accepted. The line splitter
 * is written here because it must know each line's byte offset (for checkpoints) and bound its length
 * (a file without newlines must not fill memory), which node:readline does not offer. A line that is not
 * JSON, or not UTF-8, is rejected (quarantined with its line); a NUL byte or an over-long line ends the
 * read.
 */
export function ndjsonReader(options: NdjsonReadOptions): FormatReader<Record<never, never>> {
  return {
    read({ input, start }) {
      const bom = start === 0 ? new BomSkipper() : undefined;
      if (bom) pipeline(input, bom, () => undefined);
      const lines: Readable = bom ?? input;
      async function* records(): AsyncGenerator<ParsedRecord> {
        let offset = -1; // the byte offset of the next chunk, known once the BOM is judged
        let lineStart = start;
        let held: Buffer[] = [];
        let heldLength = 0;
        let read = 0;
        let encodingRejects = 0;
        const judge = (bytes: Buffer, at: number, end: number): ParsedRecord | undefined => {
          const line = bytes.length > 0 && bytes[bytes.length - 1] === CR ? bytes.subarray(0, -1) : bytes;
          if (isBlank(line)) return undefined;
          if (line.includes(0))
            throw new MalformedInputError(at, 'binary content (a NUL byte): is this an NDJSON file?');
          read++;
          if (!isUtf8(line)) {
            encodingRejects++;
            if (encodingRejects >= MAX_ENCODING_REJECTS && encodingRejects * 10 >= read) {
              throw new MalformedInputError(
                at,
                `${encodingRejects} of ${read} lines are not UTF-8 text: is this an NDJSON file?`,
              );
            }
            return reject(line, at, end, { code: 'invalid_utf8', message: 'the line is not UTF-8 text' });
          }
          const text = line.toString('utf8');
          try {
            return { value: JSON.parse(text), start: at, end };
          } catch (error) {
            const hint =
              read === 1 && /^\s*\[\s*$/.test(text)
                ? ' (is the file one JSON array rather than a value per line?)'
                : '';
            return reject(line, at, end, {
              code: 'invalid_json',
              message: `is not valid JSON: ${(error as Error).message}${hint}`,
            });
          }
        };
        for await (const chunk of lines as AsyncIterable<Buffer>) {
          if (offset < 0) {
            offset = start + (bom?.skipped ?? 0);
            lineStart = offset;
          }
          let at = 0;
          for (;;) {
            const newline = chunk.indexOf(LF, at);
            if (newline === -1) {
              const rest = chunk.subarray(at);
              if (rest.length > 0) {
                held.push(rest);
                heldLength += rest.length;
              }
              if (heldLength > options.maxRecordBytes) {
                throw new MalformedInputError(
                  lineStart,
                  `a line longer than max_record_bytes (${options.maxRecordBytes} bytes): is this an NDJSON file?`,
                );
              }
              break;
            }
            const piece = chunk.subarray(at, newline);
            const line = held.length > 0 ? Buffer.concat([...held, piece]) : piece;
            held = [];
            heldLength = 0;
            const end = offset + newline + 1;
            if (line.length > options.maxRecordBytes) {
              throw new MalformedInputError(
                lineStart,
                `a line longer than max_record_bytes (${options.maxRecordBytes} bytes): is this an NDJSON file?`,
              );
            }
            const record = judge(line, lineStart, end);
            if (record) yield record;
            lineStart = end;
            at = newline + 1;
          }
          offset += chunk.length;
        }
        if (heldLength > 0) {
          const record = judge(Buffer.concat(held), lineStart, offset);
          if (record) yield record;
        }
      }
      return { records: records(), checkpoint: () => ({}) };
    },
  };
}

function isBlank(line: Buffer): boolean {
  for (const byte of line) if (byte !== 0x20 && byte !== 0x09 && byte !== CR) return false;
  return true;
}

function reject(line: Buffer, start: number, end: number, reason: Reason): ParsedRecord {
  const text = line.subarray(0, MAX_KEPT_TEXT).toString('utf8');
  return { value: text, start, end, reasons: [reason] };
}
