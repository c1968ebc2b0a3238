import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { userCacheDir } from '../core/user-cache-dir.ts';

const AJV_VERSION = (createRequire(import.meta.url)('ajv/package.json') as { version: string }).version;

/**
 * Remembers which JSON Schema texts passed ajv's check against the draft 2020-12 meta-schema. That check
 * compiles the meta-schema itself, most of what loading a mapping costs; the same text under the same ajv
 * passes it again, so later runs skip it. A marker holds no code, only a name: one planted by hand could
 * at worst skip the check for a schema that then fails to compile or gets ajv's compile-time errors.
 */
export function createSchemaCheckCache(dir = join(userCacheDir(), 'schema-checks')) {
  const markerOf = (text: string) =>
    join(dir, createHash('sha256').update(`ajv ${AJV_VERSION}\0${text}`).digest('hex'));
  return {
    /** True when this exact text passed the meta-schema check before. */
    passed: (text: string): boolean => existsSync(markerOf(text)),
    /** Records that it passed; a cache that cannot be written is skipped. */
    remember(text: string): void {
      try {
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        writeFileSync(markerOf(text), '');
      } catch {
        // No cache: the next run checks again.
      }
    },
  };
}

/** The cache every mapping of this process uses. */
export const schemaChecks = createSchemaCheckCache();
