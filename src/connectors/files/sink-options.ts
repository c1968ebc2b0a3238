import { resolve } from 'node:path';
import { z } from 'zod';
import { size } from '../../config/field-types.ts';
import { MAX_CONCURRENCY } from '../../config/limits.ts';
import { FerryError } from '../../core/errors.ts';
import { type FileTemplate, fileTemplate, validTemplate } from './file-template.ts';
import { looksLikeUrl } from './input-location.ts';

/**
 * The options every file destination shares: where rows go, when a file rotates, how many batches may
 * wait. Spread into a format's options schema, with its keyOption().
 */
export function fileSinkShape() {
  return {
    path: z
      .string()
      .min(1)
      .refine((path) => !looksLikeUrl(path), { message: 'expected a local path (files are written locally)' })
      .refine(validTemplate, { message: '{n} may appear once, in the file name' })
      .describe(
        'The file rows are appended to, relative to the integration file; missing directories are created. With rotate_bytes, `{n}` in the name numbers the files (orders-{n}.csv: orders-1.csv, orders-2.csv...).',
      ),
    rotate_bytes: size()
      .optional()
      .describe(
        'Starts the next numbered file once a row would take the current one past this size (a single larger row gets a file of its own). Needs {n} in path.',
      ),
    concurrency: z
      .number()
      .int()
      .min(1)
      .max(MAX_CONCURRENCY)
      .default(64)
      .describe(
        'Writes the engine may have waiting at once (batches of records, or single records it looked up first); those waiting together go in one write and one sync, so more wait for fewer syncs.',
      ),
  };
}

/**
 * The option naming the column (CSV) or field (NDJSON) that identifies a record in the file, so a rerun
 * after a crash can tell what was written.
 */
export function keyOption(word: 'column' | 'field') {
  return z
    .string()
    .min(1)
    .default('ferry_key')
    .describe(
      `The ${word} that identifies a record in the file, so a rerun after a crash can tell what was written. When the mapped value has a ${word} of this name (orderId), its value is the identity and must be unique; otherwise ferry adds the ${word}, holding the record key.`,
    );
}

/** Resolves a destination path against the integration file's directory and checks rotation can number files. */
export function sinkTemplate(path: string, baseDir: string, rotateBytes: number | undefined): FileTemplate {
  const template = fileTemplate(resolve(baseDir, path));
  if (rotateBytes !== undefined && !template.numbered) {
    throw new FerryError(
      'FERRY_ERR_CONFIG_INVALID',
      `destination path ${path}: rotate_bytes needs {n} in the file name to number the files (orders-{n}.csv)`,
    );
  }
  return template;
}
