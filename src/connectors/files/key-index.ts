import { hash } from 'node:crypto';

/** File numbers go above this many bytes of offset, so a position is one number. */
const FILE_STRIDE = 2 ** 40;
const EMPTY = -1;

/** A row's place in a set of numbered files, as one number: file * 2^40 + byte offset. */
export function positionOf(file: number, offset: number): number {
  return file * FILE_STRIDE + offset;
}

/** The file and byte offset of a position. */
export function placeOf(position: number): { readonly file: number; readonly offset: number } {
  const file = Math.floor(position / FILE_STRIDE);
  return { file, offset: position - file * FILE_STRIDE };
}

/**
 * Which rows of a destination file may hold a record: its key hashed to 64 bits, mapped to the rows'
 * positions, in typed arrays (open addressing) rather than a Map of strings, so a million rows cost a few
 * dozen bytes each and no row's text is held. A hit is a candidate only: the caller reads the row and
 * compares the key itself, so a hash collision can never pass for a match.
 */
export class KeyIndex {
  #hashHigh = new Uint32Array(1024);
  #hashLow = new Uint32Array(1024);
  #positions = new Float64Array(1024);
  #slots = new Int32Array(2048).fill(EMPTY);
  #count = 0;

  /** Rows indexed. */
  get size(): number {
    return this.#count;
  }

  /** Notes that the row at `position` holds `key`. */
  add(key: string, position: number): void {
    if (this.#count === this.#positions.length) this.#growEntries();
    if ((this.#count + 1) * 2 > this.#slots.length) this.#growSlots();
    const [high, low] = hash64(key);
    const entry = this.#count++;
    this.#hashHigh[entry] = high;
    this.#hashLow[entry] = low;
    this.#positions[entry] = position;
    this.#place(entry, low);
  }

  /** Positions of the rows whose key hashes as `key` does, in the order they were added. */
  candidates(key: string): number[] {
    const [high, low] = hash64(key);
    const mask = this.#slots.length - 1;
    const found: number[] = [];
    for (let slot = low & mask; ; slot = (slot + 1) & mask) {
      const entry = this.#slots[slot]!;
      if (entry === EMPTY) break;
      if (this.#hashHigh[entry] === high && this.#hashLow[entry] === low) found.push(this.#positions[entry]!);
    }
    return found.sort((a, b) => a - b);
  }

  #place(entry: number, low: number): void {
    const mask = this.#slots.length - 1;
    let slot = low & mask;
    while (this.#slots[slot] !== EMPTY) slot = (slot + 1) & mask;
    this.#slots[slot] = entry;
  }

  #growEntries(): void {
    const size = this.#positions.length * 2;
    const high = new Uint32Array(size);
    high.set(this.#hashHigh);
    const low = new Uint32Array(size);
    low.set(this.#hashLow);
    const positions = new Float64Array(size);
    positions.set(this.#positions);
    this.#hashHigh = high;
    this.#hashLow = low;
    this.#positions = positions;
  }

  #growSlots(): void {
    this.#slots = new Int32Array(this.#slots.length * 2).fill(EMPTY);
    for (let entry = 0; entry < this.#count; entry++) this.#place(entry, this.#hashLow[entry]!);
  }
}

/** A key's 64-bit hash, as two unsigned 32-bit halves. */
function hash64(key: string): [number, number] {
  const digest = hash('sha1', key, 'buffer');
  return [digest.readUInt32LE(0), digest.readUInt32LE(4)];
}
