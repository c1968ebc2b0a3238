import { createReadStream } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import type { OutgoingRecord } from '../../core/connector-types.ts';
import { completeLines, readBytes } from '../files/append-writer.ts';
import type { RowFormat, StoredRow } from '../files/file-sink.ts';
import { flatten, isPlainObject } from '../files/flatten.ts';

/** How the NDJSON sink writes. */
export interface NdjsonWriteOptions {
  /** The field that identifies a record (see the key_field option); a dot path into the value. */
  readonly keyField: string;
  /** Longest line read back. */
  readonly maxRecordBytes: number;
}

const LF = 0x0a;

function identityText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return value === undefined || value === null ? '' : JSON.stringify(value);
}

/**
 * Lines of an NDJSON file for the file sink: each mapped value as one line of JSON, with the key field
 * added (first) when the value has none.
 */
export function ndjsonRowFormat(options: NdjsonWriteOptions): RowFormat {
  const { keyField } = options;
  const withKey = (
    record: OutgoingRecord,
  ): { line: Record<string, unknown>; flat: Map<string, unknown> } | undefined => {
    if (!isPlainObject(record.value)) return undefined;
    const flat = flatten(record.value);
    if (flat.has(keyField)) return { line: record.value, flat };
    const line = { [keyField]: record.key, ...record.value };
    return { line, flat: flatten(line) };
  };
  return {
    async prepare() {},

    serialise(record) {
      const keyed = withKey(record);
      if (keyed === undefined) {
        return {
          reasons: [
            {
              code: 'not_an_object',
              message: 'an NDJSON line is made from an object; the mapped value is not one',
            },
          ],
        };
      }
      const identity = identityText(keyed.flat.get(keyField));
      if (identity === '')
        return {
          reasons: [
            {
              field: keyField,
              code: 'key_missing',
              message: 'is empty; it identifies the record in the file',
            },
          ],
        };
      return { row: Buffer.from(`${JSON.stringify(keyed.line)}\n`), identity };
    },

    expected(record) {
      const keyed = withKey(record);
      return keyed && { identity: identityText(keyed.flat.get(keyField)), values: keyed.flat };
    },

    header: () => undefined,

    completeLength: completeLines,

    async *scan(path) {
      let offset = 0;
      let held: Buffer[] = [];
      let lineStart = 0;
      const identityOf = (line: Buffer): string | undefined => {
        try {
          const parsed: unknown = JSON.parse(line.toString('utf8'));
          return isPlainObject(parsed) ? identityText(flatten(parsed).get(keyField)) : undefined;
        } catch {
          return undefined; // not a line ferry wrote: no record of ours is there
        }
      };
      for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
        let at = 0;
        for (;;) {
          const newline = chunk.indexOf(LF, at);
          if (newline === -1) {
            held.push(chunk.subarray(at));
            break;
          }
          const line =
            held.length > 0
              ? Buffer.concat([...held, chunk.subarray(at, newline)])
              : chunk.subarray(at, newline);
          held = [];
          const identity = identityOf(line);
          if (identity !== undefined) yield { identity, offset: lineStart };
          lineStart = offset + newline + 1;
          at = newline + 1;
        }
        offset += chunk.length;
      }
    },

    async readRow(handle: FileHandle, offset: number): Promise<StoredRow> {
      const line = await readLine(handle, offset, options.maxRecordBytes);
      let body: unknown;
      try {
        body = JSON.parse(line.toString('utf8'));
      } catch {
        return { identity: '', values: new Map(), body: line.toString('utf8') };
      }
      const values = isPlainObject(body) ? flatten(body) : new Map<string, unknown>();
      return { identity: identityText(values.get(keyField)), values, body };
    },
  };
}

/** The line starting at `offset`, without its LF, read in growing windows. */
async function readLine(handle: FileHandle, offset: number, maxBytes: number): Promise<Buffer> {
  for (let window = 16 * 1024; ; window *= 4) {
    const bytes = await readBytes(handle, offset, window);
    const end = bytes.indexOf(LF);
    if (end !== -1) return bytes.subarray(0, end);
    if (bytes.length < window || window > maxBytes) return bytes;
  }
}
