import { isUtf8 } from 'node:buffer';
import { pipeline } from 'node:stream';
import type * as CsvParse from 'csv-parse';
import type { CsvError, Info } from 'csv-parse';
import { lazyModule } from '../../core/lazy-module.ts';
import type { Reason } from '../../core/ledger-types.ts';
import { BomSkipper } from '../files/bom-skipper.ts';
import { type FormatReader, MalformedInputError, type ParsedRecord } from '../files/read-file-pages.ts';

/** csv-parse, loaded when a CSV file is first read, not by every command that loads the registry. */
const csvParse = lazyModule<typeof CsvParse>('csv-parse');

/** How a CSV file is written. */
export interface CsvReadOptions {
  /** The first record names the columns. */
  readonly header: boolean;
  /** Column names: replace the header's (which is then skipped), or name the columns of a file without one. */
  readonly columns?: readonly string[];
  readonly delimiter: string;
  readonly quote: string;
  readonly encoding: 'utf8' | 'latin1';
  /** Trims whitespace around unquoted values. */
  readonly trim: boolean;
  /** Longest record, in bytes; past it the file is taken as malformed (a wrong delimiter, an open quote). */
  readonly maxRecordBytes: number;
}

/** What a CSV checkpoint adds: the columns, so a resumed read needs not read the header again. */
export interface CsvCheckpointPart {
  readonly columns: readonly string[];
}

/** Records with text that is not UTF-8, past which the file is taken for another encoding or binary. */
const MAX_ENCODING_REJECTS = 100;

interface Row {
  readonly record: Buffer[];
  readonly info: Info;
}

/**
 * Reads CSV with csv-parse (RFC 4180: quoted fields may hold delimiters, quotes and line breaks; CRLF and
 * LF may even be mixed). A record becomes an object keyed by the header's names, where an empty cell is
 * no key at all (a missing value, not ""). Rows with another number of cells than the header, or text
 * that is not UTF-8, are rejected with the column named; bad quoting, NUL bytes (binary content) and
 * records past maxRecordBytes end the read.
 */
export function csvReader(options: CsvReadOptions): FormatReader<CsvCheckpointPart> {
  return {
    read({ input, tracker, start, resumed }) {
      let columns: readonly string[] | undefined =
        resumed?.columns ?? (options.header ? undefined : options.columns);
      const parser = csvParse().parse({
        delimiter: options.delimiter,
        quote: options.quote,
        escape: options.quote,
        record_delimiter: ['\r\n', '\n'],
        bom: false,
        info: true,
        encoding: null,
        relax_column_count: true,
        skip_empty_lines: true,
        trim: options.trim,
        max_record_size: options.maxRecordBytes,
      });
      const bom = start === 0 ? new BomSkipper() : undefined;
      if (bom) pipeline(input, bom, parser, () => undefined);
      else pipeline(input, parser, () => undefined);
      // Where the parser's first byte is in the file: past the BOM it never sees.
      const base = (): number => start + (bom?.skipped ?? 0);
      async function* records(): AsyncGenerator<ParsedRecord> {
        let previousEnd = start;
        let read = 0;
        let encodingRejects = 0;
        try {
          for await (const row of parser as AsyncIterable<Row>) {
            const recordStart = tracker.skipBlank(previousEnd);
            const end = base() + row.info.bytes;
            previousEnd = end;
            if (columns === undefined) {
              columns = headerNames(row.record, recordStart, options);
              continue;
            }
            read++;
            const record = toRecord(row.record, columns, recordStart, options);
            if (record.reasons?.some((reason) => reason.code === 'invalid_utf8')) {
              encodingRejects++;
              if (encodingRejects >= MAX_ENCODING_REJECTS && encodingRejects * 10 >= read) {
                throw new MalformedInputError(
                  recordStart,
                  `${encodingRejects} of ${read} records are not UTF-8 text: is the file in another encoding (set encoding: latin1) or not CSV at all?`,
                );
              }
            }
            yield {
              value: record.value,
              start: recordStart,
              end,
              ...(record.reasons ? { reasons: record.reasons } : {}),
            };
          }
        } catch (error) {
          throw csvFailure(error, base(), tracker.skipBlank(previousEnd));
        }
      }
      return {
        records: records(),
        checkpoint: () => ({ columns: columns ?? [] }),
      };
    },
  };
}

/** The header row's names (or the configured ones, checked against it). */
function headerNames(cells: readonly Buffer[], offset: number, options: CsvReadOptions): readonly string[] {
  const names = cells.map((cell, i) => {
    if (cell.includes(0))
      throw new MalformedInputError(offset, 'binary content (a NUL byte) in the header: is this a CSV file?');
    if (options.encoding === 'utf8' && !isUtf8(cell))
      throw new MalformedInputError(
        offset,
        `column ${i + 1} of the header is not UTF-8 text (set encoding: latin1?)`,
      );
    return decode(cell, options).trim();
  });
  if (options.columns !== undefined) {
    if (options.columns.length !== names.length) {
      throw new MalformedInputError(
        offset,
        `the header has ${names.length} columns (${names.join(', ')}) but columns lists ${options.columns.length}`,
      );
    }
    return options.columns;
  }
  const seen = new Map<string, number>();
  names.forEach((name, i) => {
    if (name === '')
      throw new MalformedInputError(offset, `column ${i + 1} of the header has no name (or set columns)`);
    const first = seen.get(name);
    if (first !== undefined)
      throw new MalformedInputError(
        offset,
        `the header names ${name} twice (columns ${first + 1} and ${i + 1})`,
      );
    seen.set(name, i);
  });
  return names;
}

function decode(cell: Buffer, options: CsvReadOptions): string {
  return cell.toString(options.encoding);
}

/** One data row as a record, with the reasons it is damaged, if it is. */
function toRecord(
  cells: readonly Buffer[],
  columns: readonly string[],
  offset: number,
  options: CsvReadOptions,
): { readonly value: Record<string, string>; readonly reasons?: readonly [Reason, ...Reason[]] } {
  const reasons: Reason[] = [];
  const entries: Array<[string, string]> = [];
  const shared = Math.min(cells.length, columns.length);
  for (let i = 0; i < shared; i++) {
    const cell = cells[i]!;
    if (cell.length === 0) continue;
    const column = columns[i]!;
    if (cell.includes(0))
      throw new MalformedInputError(offset, `binary content (a NUL byte) in ${column}: is this a CSV file?`);
    if (options.encoding === 'utf8' && !isUtf8(cell)) {
      reasons.push({
        field: column,
        code: 'invalid_utf8',
        message: 'is not UTF-8 text (is the file in another encoding? set encoding: latin1)',
      });
    }
    entries.push([column, decode(cell, options)]);
  }
  if (cells.length !== columns.length) {
    // The cells are kept for the dead letter: the ones past the header under their position.
    for (let i = columns.length; i < cells.length; i++)
      entries.push([`_${i + 1}`, decode(cells[i]!, options)]);
    const missing = columns.slice(cells.length);
    reasons.unshift({
      ...(missing.length > 0 ? { field: missing[0]! } : {}),
      code: 'column_count',
      message:
        missing.length > 0
          ? `the row has ${cells.length} fields, the header ${columns.length}: ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing`
          : `the row has ${cells.length} fields, the header ${columns.length} (an unquoted delimiter in a value?)`,
    });
  }
  // fromEntries defines own properties, so a column called __proto__ is just a column.
  const value = Object.fromEntries(entries);
  return reasons.length > 0 ? { value, reasons: reasons as [Reason, ...Reason[]] } : { value };
}

/** csv-parse's error as a MalformedInputError at the record it was reading. */
function csvFailure(error: unknown, base: number, recordStart: number): unknown {
  const code = (error as CsvError | null)?.code;
  if (typeof code !== 'string' || !code.startsWith('CSV_')) return error;
  const at = (error as CsvError & { bytes?: number }).bytes;
  const offset = at === undefined ? recordStart : Math.max(recordStart, base + at);
  switch (code) {
    case 'CSV_QUOTE_NOT_CLOSED':
      return new MalformedInputError(
        recordStart,
        'a quoted field opened in this record is never closed before the end of the file',
      );
    case 'CSV_INVALID_CLOSING_QUOTE':
    case 'CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE':
      return new MalformedInputError(
        offset,
        'a closing quote is followed by other text instead of a delimiter or line end: quote the whole value and double the quotes inside it',
      );
    case 'CSV_MAX_RECORD_SIZE':
      return new MalformedInputError(
        recordStart,
        'a record is longer than max_record_bytes: a wrong delimiter, or a quote never closed?',
      );
    default:
      return new MalformedInputError(offset, (error as Error).message.replace(/ at line \d+/, ''));
  }
}
