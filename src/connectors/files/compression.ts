/** How a source file's bytes are compressed. */
export type Compression = 'gzip' | 'none';

/** The `compression` option: `auto` tells by the file's first bytes. */
export type CompressionOption = 'auto' | Compression;

const GZIP = [0x1f, 0x8b];
/** Formats a user may mistake for something ferry reads, recognised to say so instead of parsing noise. */
const UNSUPPORTED: ReadonlyArray<{ readonly magic: readonly number[]; readonly what: string }> = [
  { magic: [0x50, 0x4b, 0x03, 0x04], what: 'a zip archive' },
  { magic: [0x28, 0xb5, 0x2f, 0xfd], what: 'zstd-compressed' },
  { magic: [0x42, 0x5a, 0x68], what: 'bzip2-compressed' },
  { magic: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], what: 'xz-compressed' },
];

function startsWith(bytes: Buffer, magic: readonly number[]): boolean {
  return bytes.length >= magic.length && magic.every((byte, i) => bytes[i] === byte);
}

/**
 * Decides how to decode a file from its first bytes: gzip by its magic number (not by a `.gz` name, which
 * a download URL may lack or a server may have decompressed already). Returns a sentence naming another
 * compression ferry does not read, so the error says what the file is.
 */
export function detectCompression(
  first: Buffer,
  option: CompressionOption,
): { readonly compression: Compression } | { readonly unsupported: string } {
  if (option !== 'auto') return { compression: option };
  if (startsWith(first, GZIP)) return { compression: 'gzip' };
  for (const { magic, what } of UNSUPPORTED) if (startsWith(first, magic)) return { unsupported: what };
  return { compression: 'none' };
}
