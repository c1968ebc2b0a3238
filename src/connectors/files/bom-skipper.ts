import { Transform, type TransformCallback } from 'node:stream';

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/**
 * Drops a UTF-8 byte order mark at the start of a file, and says how many bytes it dropped so offsets stay
 * the file's. Done here rather than by the parser: csv-parse's own `bom` option switches a buffer-mode
 * parser to strings, and a BOM before a quoted first header is a common spreadsheet export.
 */
export class BomSkipper extends Transform {
  #pending: Buffer | undefined = Buffer.alloc(0);
  #skipped = 0;

  /** Bytes dropped (3 after a BOM, else 0); final once the first bytes went through. */
  get skipped(): number {
    return this.#skipped;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    if (this.#pending === undefined) {
      done(null, chunk);
      return;
    }
    const held = Buffer.concat([this.#pending, chunk]);
    if (held.length < BOM.length && BOM.subarray(0, held.length).equals(held)) {
      this.#pending = held;
      done();
      return;
    }
    this.#pending = undefined;
    if (held.subarray(0, BOM.length).equals(BOM)) {
      this.#skipped = BOM.length;
      done(null, held.subarray(BOM.length));
    } else {
      done(null, held);
    }
  }

  override _flush(done: TransformCallback): void {
    const rest = this.#pending;
    this.#pending = undefined;
    done(null, rest !== undefined && rest.length > 0 ? rest : undefined);
  }
}
