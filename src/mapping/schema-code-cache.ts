import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import { userCacheDir } from '../core/user-cache-dir.ts';

const load = createRequire(import.meta.url);
const version = (name: string) => (load(`${name}/package.json`) as { version: string }).version;
/** What the code depends on besides the schema texts: a new ajv or ajv-formats writes new code. */
const GENERATOR = `ajv ${version('ajv')}, ajv-formats ${version('ajv-formats')}`;
/** Files kept: every edit of a schema makes a new one, so the oldest go once there are more. */
const KEEP = 256;

/**
 * The modules ajv's standalone code names: its runtime helpers and ajv-formats' formats. Nothing else, so the
 * code in a cache file cannot load another module through the `require` it is given.
 */
function runtimeRequire(id: string): unknown {
  if (id.startsWith('ajv/dist/runtime/') || id === 'ajv-formats/dist/formats') return load(id);
  throw new Error(`schema code requires ${id}, not one of ajv's runtime modules`);
}

/**
 * Keeps the validation code ajv generates for a mapping's JSON Schema (its standalone code, made for this),
 * so that a later run of the same schema texts loads that code instead of loading ajv and compiling: most of
 * what loading the flagship's mapping cost (docs/performance.md). Keyed by the texts it is given (the
 * loader's: ajv's options, then every schema text the mapping's ajv held, since a `$ref` may reach an earlier
 * one) and the versions of ajv and ajv-formats. In the user's own cache directory, never a shared temporary
 * one: its code runs as ferry does, as Node's compile cache in the same directory does. A file that is
 * missing, unreadable or fails to load is compiled again.
 */
export function createSchemaCodeCache(dir = join(userCacheDir(), 'schema-code'), keep = KEEP) {
  const fileOf = (texts: readonly string[]) =>
    join(
      dir,
      `${createHash('sha256')
        .update([GENERATOR, ...texts].join('\0'))
        .digest('hex')}.cjs`,
    );
  return {
    /** The validator kept for `texts`, if any. */
    load(texts: readonly string[]): ValidateFunction | undefined {
      let code: string;
      try {
        code = readFileSync(fileOf(texts), 'utf8');
      } catch {
        return undefined;
      }
      try {
        const module = { exports: {} as { default?: ValidateFunction } };
        new Function('require', 'module', 'exports', code)(runtimeRequire, module, module.exports);
        return typeof module.exports.default === 'function' ? module.exports.default : undefined;
      } catch {
        return undefined;
      }
    },
    /** Keeps `code` for `texts`; a cache that cannot be written is skipped. */
    store(texts: readonly string[], code: string): void {
      const file = fileOf(texts);
      try {
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        // Renamed into place, so a run reading it never sees half a file.
        const partial = `${file}.${process.pid}.partial`;
        writeFileSync(partial, code, { mode: 0o600 });
        renameSync(partial, file);
        prune(dir, keep);
      } catch {
        // No cache: the next run compiles again.
      }
    },
  };
}

/** The cache every mapping of this process uses. */
export const schemaCode = createSchemaCodeCache();

/** Removes the oldest files past `keep` (only when code is stored, a schema not seen before). */
function prune(dir: string, keep: number): void {
  const names = readdirSync(dir);
  if (names.length <= keep) return;
  const byAge = names
    .map((name) => ({ name, at: statSync(join(dir, name), { throwIfNoEntry: false })?.mtimeMs ?? 0 }))
    .sort((a, b) => a.at - b.at);
  for (const { name } of byAge.slice(0, names.length - keep)) rmSync(join(dir, name), { force: true });
}
