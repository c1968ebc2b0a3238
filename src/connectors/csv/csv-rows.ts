import { createReadStream } from 'node:fs';
import { type FileHandle, open } from 'node:fs/promises';
import { isDeepStrictEqual } from 'node:util';
import type * as CsvParse from 'csv-parse';
import type { Info } from 'csv-parse';
import type * as CsvParseSync from 'csv-parse/sync';
import type * as CsvStringifySync from 'csv-stringify/sync';
import type { OutgoingRecord } from '../../core/connector-types.ts';
import { FerryError } from '../../core/errors.ts';
import { lazyModule } from '../../core/lazy-module.ts';
import type { Reason } from '../../core/ledger-types.ts';
import { readBytes } from '../files/append-writer.ts';
import type { RowFormat, SerialisedRow, StoredRow } from '../files/file-sink.ts';
import { flatten, isPlainObject } from '../files/flatten.ts';
import { completeCsvLength } from './csv-tail.ts';

// Loaded when a CSV file is first written or read, not by every command that loads the registry.
const csvParse = lazyModule<typeof CsvParse>('csv-parse');
const csvParseSync = lazyModule<typeof CsvParseSync>('csv-parse/sync');
const csvStringify = lazyModule<typeof CsvStringifySync>('csv-stringify/sync');

/** How the CSV sink writes. */
export interface CsvWriteOptions {
  /** What messages call the file (`orders.csv`). */
  readonly name: string;
  /** Column order; each a dot path into the mapped value. Unset: the existing header, or the first record. */
  readonly columns?: readonly string[];
  /** The column that identifies a record (see the key_column option). */
  readonly keyColumn: string;
  /** Writes a header row at the start of each file. */
  readonly header: boolean;
  readonly delimiter: string;
  readonly quote: string;
  readonly recordDelimiter: 'unix' | 'windows';
  /** Longest row read back. */
  readonly maxRecordBytes: number;
}

/** A leaf value as a cell: strings as they are, numbers and booleans as text, null empty, lists as JSON. */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/**
 * Rows of a CSV file for the file sink. The mapped value's nested objects are flattened into dot-path
 * columns (`customerInfo.name`); lists become JSON text in their cell. The columns are fixed once: as
 * configured, else an existing file's header, else the first record's fields (with the key column first
 * when the value has none). A record with a field no column holds is refused rather than written without
 * it.
 */
export function csvRowFormat(options: CsvWriteOptions): RowFormat {
  const configured =
    options.columns === undefined
      ? undefined
      : options.columns.includes(options.keyColumn)
        ? [...options.columns]
        : [options.keyColumn, ...options.columns];
  let columns: readonly string[] | undefined = configured;
  let columnSet = new Set(columns);
  let keyIndex = columns?.indexOf(options.keyColumn) ?? -1;
  const fix = (chosen: readonly string[]): void => {
    columns = chosen;
    columnSet = new Set(chosen);
    keyIndex = chosen.indexOf(options.keyColumn);
  };
  const stringifyOptions = {
    delimiter: options.delimiter,
    quote: options.quote,
    escape: options.quote,
    record_delimiter: options.recordDelimiter,
    // Every line break inside a value is quoted, whatever the record delimiter: rows must split only at
    // their ends, for any reader and for the torn-row repair.
    quoted_match: /[\r\n]/,
  };
  const parseOptions = {
    delimiter: options.delimiter,
    quote: options.quote,
    escape: options.quote,
    record_delimiter: ['\r\n', '\n'],
    relax_column_count: true,
    skip_empty_lines: true,
    max_record_size: options.maxRecordBytes,
  };

  const cellsOf = (record: OutgoingRecord, flat: ReadonlyMap<string, unknown>): string[] =>
    (columns ?? []).map((column) =>
      flat.has(column) ? cellText(flat.get(column)) : column === options.keyColumn ? record.key : '',
    );

  const identityOf = (record: OutgoingRecord, flat: ReadonlyMap<string, unknown>): string =>
    flat.has(options.keyColumn) ? cellText(flat.get(options.keyColumn)) : record.key;

  return {
    async prepare(files) {
      if (!options.header) return;
      for (const { path } of [...files].reverse()) {
        const handle = await open(path, 'r');
        try {
          const head = await readCsvRecord(handle, 0, parseOptions);
          if (head === undefined) continue;
          const existing = head.cells;
          if (configured !== undefined && !isDeepStrictEqual(existing, configured)) {
            throw new FerryError(
              'FERRY_ERR_CONFIG_INVALID',
              `${path} has the columns ${existing.join(',')}; destination.columns makes them ${configured.join(',')}: write to another file, or make columns match`,
            );
          }
          if (!existing.includes(options.keyColumn)) {
            throw new FerryError(
              'FERRY_ERR_CONFIG_INVALID',
              `${path} has no column ${options.keyColumn} (destination.key_column), so ferry cannot tell which records it holds: set key_column to the column that identifies a record`,
            );
          }
          fix(existing);
          return;
        } finally {
          await handle.close();
        }
      }
    },

    serialise(record): SerialisedRow | { reasons: [Reason, ...Reason[]] } {
      if (!isPlainObject(record.value)) {
        return {
          reasons: [
            {
              code: 'not_an_object',
              message: 'a CSV row is made from an object; the mapped value is not one',
            },
          ],
        };
      }
      const flat = flatten(record.value);
      if (columns === undefined) {
        const fields = [...flat.keys()];
        fix(fields.includes(options.keyColumn) ? fields : [options.keyColumn, ...fields]);
      }
      const reasons: Reason[] = [];
      for (const path of flat.keys()) {
        if (!columnSet.has(path)) {
          reasons.push({
            field: path,
            code: 'unknown_column',
            message: `is not a column of ${options.name} (${[...columnSet].join(', ')}): list it in destination.columns`,
          });
        }
      }
      const identity = identityOf(record, flat);
      if (identity === '') {
        reasons.push({
          field: options.keyColumn,
          code: 'key_missing',
          message: 'is empty; it identifies the record in the file',
        });
      }
      if (reasons.length > 0) return { reasons: reasons as [Reason, ...Reason[]] };
      return {
        row: Buffer.from(csvStringify().stringify([cellsOf(record, flat)], stringifyOptions)),
        identity,
      };
    },

    expected(record) {
      if (!isPlainObject(record.value)) return undefined;
      const flat = flatten(record.value);
      const values = new Map<string, unknown>();
      for (const [path, value] of flat) values.set(path, cellText(value));
      if (!values.has(options.keyColumn)) values.set(options.keyColumn, record.key);
      return { identity: identityOf(record, flat), values };
    },

    header: () =>
      options.header && columns
        ? Buffer.from(csvStringify().stringify([columns], stringifyOptions))
        : undefined,

    completeLength: (handle, size) => completeCsvLength(handle, size, options.quote),

    async *scan(path) {
      if (keyIndex < 0) return;
      const parser = createReadStream(path).pipe(
        csvParse().parse({ ...parseOptions, info: true, encoding: null }),
      );
      let previousEnd = 0;
      let first = true;
      for await (const { record, info } of parser as AsyncIterable<{ record: Buffer[]; info: Info }>) {
        const offset = previousEnd;
        previousEnd = info.bytes;
        if (first && options.header) {
          first = false;
          continue;
        }
        first = false;
        yield { identity: record[keyIndex]?.toString('utf8') ?? '', offset };
      }
    },

    async readRow(handle, offset): Promise<StoredRow> {
      const read = await readCsvRecord(handle, offset, parseOptions);
      const cells = read?.cells ?? [];
      const chosen = columns ?? [];
      const values = new Map<string, unknown>(chosen.map((column, i) => [column, cells[i] ?? '']));
      return { identity: cells[keyIndex] ?? '', values, body: Object.fromEntries(values) };
    },
  };
}

/**
 * Reads the one record that starts at `offset` (after any blank lines), reading a larger window until the
 * record ends inside it; undefined at the end of the file.
 */
async function readCsvRecord(
  handle: FileHandle,
  offset: number,
  parseOptions: Record<string, unknown> & { max_record_size: number },
): Promise<{ readonly cells: string[] } | undefined> {
  for (let window = 64 * 1024; ; window *= 4) {
    const bytes = await readBytes(handle, offset, window);
    if (bytes.length === 0) return undefined;
    const atEnd = bytes.length < window;
    let rows: Array<{ record: string[]; info: Info }>;
    try {
      rows = csvParseSync().parse(bytes, { ...parseOptions, to: 1, info: true }) as unknown as Array<{
        record: string[];
        info: Info;
      }>;
    } catch (error) {
      if (atEnd || window > parseOptions.max_record_size) throw error;
      continue;
    }
    const row = rows[0];
    if (row === undefined) return undefined;
    // A record that reaches the window's end may go on past it.
    if (atEnd || row.info.bytes < bytes.length || window > parseOptions.max_record_size)
      return { cells: row.record };
  }
}
