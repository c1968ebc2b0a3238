import { constants } from 'node:fs';
import { access, type FileHandle, open, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type {
  DeliveryOutcome,
  LookupResult,
  OutgoingRecord,
  ProbeResult,
  SinkConnector,
} from '../../core/connector-types.ts';
import { FerryError } from '../../core/errors.ts';
import type { Reason } from '../../core/ledger-types.ts';
import { AppendWriter } from './append-writer.ts';
import type { FileTemplate } from './file-template.ts';
import { storedMatches } from './flatten.ts';
import { KeyIndex, placeOf, positionOf } from './key-index.ts';

/** A record ready to append: its bytes and the identity a lookup finds it by. */
export interface SerialisedRow {
  readonly row: Buffer;
  readonly identity: string;
}

/** A row read back from a file. */
export interface StoredRow {
  readonly identity: string;
  /** Its values by flattened path, as the format compares them. */
  readonly values: ReadonlyMap<string, unknown>;
  /** What the lookup reports as found. */
  readonly body: unknown;
}

/** What a file format (CSV, NDJSON) tells the file sink. */
export interface RowFormat {
  /** Reads what the existing files say before anything is written (a CSV header's columns). */
  prepare(files: ReadonlyArray<{ readonly n: number; readonly path: string }>): Promise<void>;
  /** One record as a row, or the reasons it cannot be one (refused: nothing is written). */
  serialise(record: OutgoingRecord): SerialisedRow | { readonly reasons: readonly [Reason, ...Reason[]] };
  /** What a lookup compares: the record's identity and its values by flattened path. */
  expected(
    record: OutgoingRecord,
  ): { readonly identity: string; readonly values: ReadonlyMap<string, unknown> } | undefined;
  /** The bytes each new file starts with. */
  header(): Buffer | undefined;
  /** The length of the complete records at the start of a file (see AppendWriterOptions). */
  completeLength(handle: FileHandle, size: number): Promise<number>;
  /** Every row of a file, with its offset and identity. */
  scan(path: string): AsyncIterable<{ readonly identity: string; readonly offset: number }>;
  /** The row at `offset`. */
  readRow(handle: FileHandle, offset: number): Promise<StoredRow>;
}

/** How a file sink writes. */
export interface FileSinkOptions {
  readonly template: FileTemplate;
  readonly rotateBytes?: number;
  readonly format: RowFormat;
  /** Dot paths a lookup does not compare (the mapping's `compare: false`). */
  readonly ignoreFields: readonly string[];
  readonly concurrency: number;
}

/**
 * A destination that appends rows to local files, exactly once across kill -9. The engine marks a batch
 * in flight durably before sendBatch; sendBatch appends and syncs it, then reports it delivered. A crash
 * in between leaves whole rows (found by `lookup`, which the engine asks for every record left in flight,
 * so it is settled without a second row) or one torn row (cut off when the file is next opened, so the
 * record is not found and written again).
 *
 * The lookup's index is built only when a lookup is first asked (after a crash, or on a new ledger), by
 * one pass over the files: a normal run holds none, and a million rows cost the index a few dozen bytes
 * each, never their text (see KeyIndex).
 */
export function createFileSink(options: FileSinkOptions): SinkConnector {
  const { format } = options;
  let opened: Promise<AppendWriter> | undefined;
  let index: KeyIndex | undefined;
  let indexed: Promise<KeyIndex> | undefined;
  const readers = new Map<number, Promise<FileHandle>>();

  const writer = (): Promise<AppendWriter> => {
    opened ??= (async () => {
      const appender = await AppendWriter.open({
        template: options.template,
        ...(options.rotateBytes === undefined ? {} : { rotateBytes: options.rotateBytes }),
        header: () => format.header(),
        completeLength: (handle, size) => format.completeLength(handle, size),
      });
      await format.prepare(appender.files());
      return appender;
    })();
    return opened;
  };

  const buildIndex = (): Promise<KeyIndex> => {
    indexed ??= (async () => {
      const appender = await writer();
      return appender.exclusive(async () => {
        const built = new KeyIndex();
        for (const { n, path } of appender.files()) {
          for await (const row of format.scan(path)) built.add(row.identity, positionOf(n, row.offset));
        }
        index = built;
        return built;
      });
    })();
    return indexed;
  };

  const readerOf = (appender: AppendWriter, n: number): Promise<FileHandle> => {
    let reader = readers.get(n);
    if (!reader) {
      reader = open(appender.pathOf(n), 'r');
      readers.set(n, reader);
    }
    return reader;
  };

  const sendBatch = async (records: readonly OutgoingRecord[]): Promise<DeliveryOutcome[]> => {
    const appender = await writer();
    const outcomes: DeliveryOutcome[] = [];
    const rows: Buffer[] = [];
    const written: Array<{ readonly at: number; readonly identity: string }> = [];
    for (const record of records) {
      const serialised = format.serialise(record);
      if ('reasons' in serialised) {
        outcomes.push({ state: 'failed', attempts: 1, reasons: serialised.reasons, refused: true });
        continue;
      }
      written.push({ at: outcomes.length, identity: serialised.identity });
      rows.push(serialised.row);
      outcomes.push({ state: 'delivered', attempts: 1 });
    }
    if (rows.length === 0) return outcomes;
    // A failed write throws (FERRY_ERR_DESTINATION_WRITE): the run stops with the batch in flight, and
    // a rerun's lookups settle it.
    const placements = await appender.append(rows);
    if (index) {
      for (const [i, place] of placements.entries())
        index.add(written[i]!.identity, positionOf(place.file, place.offset));
    }
    return outcomes;
  };

  return {
    concurrency: options.concurrency,
    sendBatch,
    probe: () => probe(options),
    async send(record) {
      const [outcome] = await sendBatch([record]);
      return outcome!;
    },
    async lookup(record): Promise<LookupResult> {
      const appender = await writer();
      const expected = format.expected(record);
      if (expected === undefined) return { found: false };
      const candidates = (await buildIndex()).candidates(expected.identity);
      let other: LookupResult | undefined;
      for (const position of new Set(candidates)) {
        const { file, offset } = placeOf(position);
        const row = await format.readRow(await readerOf(appender, file), offset);
        if (row.identity !== expected.identity) continue; // a hash collision
        if (storedMatches(expected.values, row.values, options.ignoreFields))
          return { found: true, matches: true, body: row.body };
        other ??= { found: true, matches: false, body: row.body };
      }
      return other ?? { found: false };
    },
    async close() {
      const handles = await Promise.allSettled(readers.values());
      await Promise.allSettled(
        handles.map((handle) => (handle.status === 'fulfilled' ? handle.value.close() : undefined)),
      );
      readers.clear();
      // A writer that never opened has nothing to close; its error was reported where it happened.
      const appender = await opened?.catch(() => undefined);
      await appender?.close();
    },
  };
}

/**
 * What `ferry check` learns without writing: the file exists and may be appended to (and its header is
 * the one this sink writes), or it will be created in a directory that may be written.
 */
async function probe(options: FileSinkOptions): Promise<ProbeResult> {
  const { template, format } = options;
  const files = await template.existing();
  const last = files.at(-1);
  try {
    if (last !== undefined) {
      const path = template.pathOf(last);
      await access(path, constants.W_OK);
      await format.prepare(files.map((n) => ({ n, path: template.pathOf(n) })));
      const { size } = await stat(path);
      return { ok: true, detail: `${path} exists (${size} bytes) and rows can be appended to it` };
    }
    let dir = dirname(template.pathOf(1));
    // The nearest directory that exists decides whether the missing ones can be created.
    for (;;) {
      const exists = await stat(dir).then(
        () => true,
        () => false,
      );
      if (exists || dirname(dir) === dir) break;
      dir = dirname(dir);
    }
    await access(dir, constants.W_OK);
    return { ok: true, detail: `${template.pathOf(1)} will be created (${dir} may be written)` };
  } catch (error) {
    if (error instanceof FerryError) return { ok: false, detail: error.message, code: error.code };
    const code = (error as { code?: string }).code;
    return {
      ok: false,
      detail: `${template.pattern} cannot be written${code ? ` (${code})` : ''}`,
      code: 'FERRY_ERR_DESTINATION_WRITE',
    };
  }
}
