import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Checkpoint } from '../../core/connector-types.ts';

/** A stretch of the file's bytes, fingerprinted: its length and its SHA-256. */
const fingerprintSchema = z.object({ length: z.number().int().min(0), sha256: z.string() });

/** What a fingerprint holds. */
export type Fingerprint = z.output<typeof fingerprintSchema>;

/**
 * Where a file source resumes. Offsets and fingerprints are of the decoded bytes (after gunzip), so one
 * shape serves a local file, a gzip file and a download. The file is the same one (so the byte is a
 * record boundary of it) when its first bytes and the bytes just before `byte` are unchanged: a file that
 * only grew resumes, an export written anew starts over, and the ledger skips what was delivered.
 */
export const fileCheckpointSchema = z.object({
  /** What the file was called, for people reading a checkpoint. */
  file: z.string(),
  /** Offset of the next record in the decoded bytes. */
  byte: z.number().int().min(0),
  /** The line that offset is on. */
  line: z.number().int().min(1),
  /** Records read before it (rejected ones included). */
  records: z.number().int().min(0),
  head: fingerprintSchema,
  before: fingerprintSchema,
  /** A download's ETag or Last-Modified, when the server sent one. */
  version: z.string().optional(),
});

/** A parsed file checkpoint. */
export type FileCheckpoint = z.output<typeof fileCheckpointSchema>;

/** Fingerprints bytes. */
export function fingerprint(bytes: Buffer): Fingerprint {
  return { length: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** True when `bytes` are what `expected` fingerprinted. */
export function sameFingerprint(bytes: Buffer, expected: Fingerprint): boolean {
  return bytes.length === expected.length && fingerprint(bytes).sha256 === expected.sha256;
}

/**
 * Reads a checkpoint the engine handed back: a valid one of this source's shape, or null (start over)
 * for anything else, such as a checkpoint written by another source type before the config changed.
 */
export function readCheckpoint<Shape extends z.ZodType<FileCheckpoint>>(
  schema: Shape,
  from: Checkpoint | null,
): z.output<Shape> | null {
  if (from === null) return null;
  const parsed = schema.safeParse(from);
  return parsed.success ? parsed.data : null;
}
