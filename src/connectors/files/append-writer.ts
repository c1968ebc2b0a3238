import { type FileHandle, mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { FerryError } from '../../core/errors.ts';
import type { FileTemplate } from './file-template.ts';

/** Where a row was written: the file's number and the row's first byte in it. */
export interface Placement {
  readonly file: number;
  readonly offset: number;
}

/** How an AppendWriter writes. */
export interface AppendWriterOptions {
  readonly template: FileTemplate;
  /** A file that holds rows is closed once the next row would take it past this size. */
  readonly rotateBytes?: number;
  /** The bytes a new (or empty) file starts with, such as a CSV header; asked when the file starts. */
  readonly header?: () => Buffer | undefined;
  /**
   * How long the complete records at the start of a file of `size` bytes are: anything after is a record
   * torn by a crash mid-write.
   */
  readonly completeLength: (handle: FileHandle, size: number) => Promise<number>;
}

/** One file the writer appends to. */
interface OpenFile {
  readonly n: number;
  readonly path: string;
  readonly handle: FileHandle;
  size: number;
  /** Its directory entry is not yet known to be durable. */
  fresh: boolean;
}

type Entry =
  | {
      readonly kind: 'rows';
      readonly rows: readonly Buffer[];
      resolve(placements: Placement[]): void;
      reject(error: unknown): void;
    }
  | { readonly kind: 'task'; run(): Promise<void> };

/**
 * Appends rows to a file, durably: each append is one write and one fdatasync (the directory synced too
 * when a file is new), and only then does the promise resolve, so a row reported written survives a
 * kill -9 or a power cut. Appends that arrive while one is being written are written together (group
 * commit). On open, a last record torn by a crash mid-write is cut off (its bytes kept in `<file>.torn`),
 * so no half row stays and the next row starts on a line of its own. With `rotateBytes` and a numbered
 * template, a full file is left complete and the next one started, with its header.
 */
export class AppendWriter {
  readonly #options: AppendWriterOptions;
  readonly #files: number[];
  #current: OpenFile | undefined;
  #queue: Entry[] = [];
  #draining: Promise<void> | undefined;
  #broken: FerryError | undefined;

  private constructor(options: AppendWriterOptions, files: number[], current: OpenFile | undefined) {
    this.#options = options;
    this.#files = files;
    this.#current = current;
  }

  /** Opens the template's last file (repairing a torn tail) or prepares to create the first one. */
  static async open(options: AppendWriterOptions): Promise<AppendWriter> {
    const { template } = options;
    let files: number[];
    try {
      await mkdir(dirname(template.pathOf(1)), { recursive: true });
      files = await template.existing();
    } catch (cause) {
      throw writeError(`cannot prepare ${template.pattern}`, cause);
    }
    const last = files.at(-1);
    if (last === undefined) return new AppendWriter(options, files, undefined);
    const path = template.pathOf(last);
    let handle: FileHandle;
    try {
      handle = await open(path, 'r+');
    } catch (cause) {
      throw writeError(`cannot open ${path} to append`, cause);
    }
    try {
      const { size } = await handle.stat();
      const complete = await options.completeLength(handle, size);
      if (complete < size) await cutTornTail(handle, path, complete, size);
      return new AppendWriter(options, files, { n: last, path, handle, size: complete, fresh: false });
    } catch (error) {
      await handle.close().catch(() => undefined);
      throw error instanceof FerryError ? error : writeError(`cannot repair ${path}`, error);
    }
  }

  /** The path of file `n`. */
  pathOf(n: number): string {
    return this.#options.template.pathOf(n);
  }

  /** The files that exist, in order (read them inside exclusive() to see them between appends). */
  files(): Array<{ readonly n: number; readonly path: string }> {
    return this.#files.map((n) => ({ n, path: this.pathOf(n) }));
  }

  /** Appends rows, durably; resolves with where each one went, once they are synced. */
  append(rows: readonly Buffer[]): Promise<Placement[]> {
    if (this.#broken) return Promise.reject(this.#broken);
    return new Promise((resolve, reject) => {
      this.#queue.push({ kind: 'rows', rows, resolve, reject });
      this.#drain();
    });
  }

  /** Runs `task` between appends, with none in progress (an index built over the files as they are). */
  exclusive<T>(task: () => Promise<T>): Promise<T> {
    return new Promise((resolve, reject) => {
      this.#queue.push({
        kind: 'task',
        run: () => task().then(resolve, reject),
      });
      this.#drain();
    });
  }

  /** Waits for pending appends and closes the file. */
  async close(): Promise<void> {
    await this.#draining;
    await this.#current?.handle.close().catch(() => undefined);
    this.#current = undefined;
  }

  #drain(): void {
    if (this.#draining) return;
    this.#draining = (async () => {
      while (this.#queue.length > 0) {
        const first = this.#queue[0]!;
        if (first.kind === 'task') {
          this.#queue.shift();
          await first.run();
          continue;
        }
        // Every append waiting now goes into one write and one sync.
        const taken: Array<Extract<Entry, { kind: 'rows' }>> = [];
        while (this.#queue[0]?.kind === 'rows')
          taken.push(this.#queue.shift() as Extract<Entry, { kind: 'rows' }>);
        try {
          if (this.#broken) throw this.#broken;
          const placements = await this.#write(taken.map((entry) => entry.rows));
          for (const [i, entry] of taken.entries()) entry.resolve(placements[i]!);
        } catch (error) {
          for (const entry of taken) entry.reject(error);
        }
      }
    })().finally(() => {
      this.#draining = undefined;
      if (this.#queue.length > 0) this.#drain();
    });
  }

  async #write(groups: ReadonlyArray<readonly Buffer[]>): Promise<Placement[][]> {
    const rotateBytes = this.#options.rotateBytes;
    let file = this.#current ?? (await this.#start(this.#files.at(-1) ?? 1));
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    // Where rows begin in the file: a file that already holds bytes is taken to hold rows.
    let rowsStart = file.size > 0 ? 0 : Number.POSITIVE_INFINITY;
    const startRows = (): void => {
      const header = file.size === 0 ? this.#options.header?.() : undefined;
      if (header && header.length > 0) {
        pending.push(header);
        pendingBytes += header.length;
      }
      rowsStart = file.size + pendingBytes;
    };
    if (file.size === 0) startRows();
    const placements: Placement[][] = [];
    for (const rows of groups) {
      const placed: Placement[] = [];
      for (const row of rows) {
        const end = file.size + pendingBytes;
        if (rotateBytes !== undefined && end > rowsStart && end + row.length > rotateBytes) {
          await this.#commit(file, pending);
          file = await this.#start(file.n + 1);
          pending = [];
          pendingBytes = 0;
          startRows();
        }
        placed.push({ file: file.n, offset: file.size + pendingBytes });
        pending.push(row);
        pendingBytes += row.length;
      }
      placements.push(placed);
    }
    await this.#commit(file, pending);
    return placements;
  }

  /** Creates file `n` (or opens it, empty, when it is the current one) and makes it the current file. */
  async #start(n: number): Promise<OpenFile> {
    if (this.#current?.n === n) return this.#current;
    const path = this.pathOf(n);
    let handle: FileHandle;
    try {
      // wx: never truncate a file someone else put there.
      handle = await open(path, 'wx');
    } catch (cause) {
      throw this.#fail(`cannot create ${path}`, cause);
    }
    await this.#current?.handle.close().catch(() => undefined);
    const file: OpenFile = { n, path, handle, size: 0, fresh: true };
    this.#current = file;
    if (!this.#files.includes(n)) this.#files.push(n);
    return file;
  }

  async #commit(file: OpenFile, parts: readonly Buffer[]): Promise<void> {
    if (parts.length === 0) return;
    const bytes = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    try {
      let written = 0;
      while (written < bytes.length) {
        const { bytesWritten } = await file.handle.write(
          bytes,
          written,
          bytes.length - written,
          file.size + written,
        );
        written += bytesWritten;
      }
      await file.handle.datasync();
      if (file.fresh) {
        await syncDirectory(dirname(file.path));
        file.fresh = false;
      }
    } catch (cause) {
      // Take back what may have reached the file, so no unacknowledged row stays; a crash before this
      // leaves whole rows the lookup finds and a torn one the next open cuts off.
      await file.handle
        .truncate(file.size)
        .then(() => file.handle.datasync())
        .catch(() => undefined);
      throw this.#fail(`cannot write ${file.path}`, cause);
    }
    file.size += bytes.length;
  }

  #fail(what: string, cause: unknown): FerryError {
    this.#broken = writeError(what, cause);
    return this.#broken;
  }
}

function writeError(what: string, cause: unknown): FerryError {
  const code = (cause as { code?: string } | null)?.code;
  const why =
    code === 'ENOSPC'
      ? 'the disk is full'
      : code === 'EACCES' || code === 'EPERM'
        ? 'not permitted'
        : code === 'EROFS'
          ? 'a read-only file system'
          : ((cause as Error | null)?.message ?? String(cause));
  return new FerryError('FERRY_ERR_DESTINATION_WRITE', `${what}: ${why}`, {
    cause,
    details: { ...(code ? { code } : {}) },
  });
}

/** Makes a new file's directory entry durable: without it, a power cut may lose the file's very name. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Moves the bytes of a torn last record to `<path>.torn` (kept, not lost) and cuts the file there. */
async function cutTornTail(handle: FileHandle, path: string, complete: number, size: number): Promise<void> {
  const torn = Buffer.alloc(size - complete);
  await handle.read(torn, 0, torn.length, complete);
  const keep = await open(`${path}.torn`, 'a');
  try {
    await keep.write(torn[torn.length - 1] === 0x0a ? torn : Buffer.concat([torn, Buffer.from('\n')]));
    await keep.datasync();
  } finally {
    await keep.close();
  }
  await handle.truncate(complete);
  await handle.datasync();
}

/** Reads `length` bytes at `position` (fewer at the end of the file). */
export async function readBytes(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return buffer.subarray(0, filled);
}

/**
 * The length of the complete lines of a file of `size` bytes: up to and with its last LF, found by reading
 * backwards, so a large file costs one block.
 */
export async function completeLines(handle: FileHandle, size: number): Promise<number> {
  const block = 64 * 1024;
  for (let end = size; end > 0; end -= block) {
    const start = Math.max(0, end - block);
    const bytes = await readBytes(handle, start, end - start);
    const at = bytes.lastIndexOf(0x0a);
    if (at !== -1) return start + at + 1;
  }
  return 0;
}
