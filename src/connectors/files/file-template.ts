import { readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

const PLACEHOLDER = '{n}';

/** A destination path, numbered when it rotates: `orders-{n}.csv` is orders-1.csv, orders-2.csv... */
export interface FileTemplate {
  /** The path as configured (absolute), for messages. */
  readonly pattern: string;
  /** True when the name holds `{n}`, so files can be numbered. */
  readonly numbered: boolean;
  /** The path of file `n` (1-based); an unnumbered template has only file 1. */
  pathOf(n: number): string;
  /** The numbers of the files that exist, in order. */
  existing(): Promise<number[]>;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Reads a destination `path`; `{n}` may appear once, in the file name (not in a directory). */
export function fileTemplate(path: string): FileTemplate {
  const dir = dirname(path);
  const name = basename(path);
  const numbered = name.includes(PLACEHOLDER);
  const [before, after] = numbered
    ? [name.slice(0, name.indexOf(PLACEHOLDER)), name.slice(name.indexOf(PLACEHOLDER) + 3)]
    : [name, ''];
  const matcher = new RegExp(`^${escapeRegExp(before)}([1-9][0-9]*)${escapeRegExp(after)}$`);
  return {
    pattern: path,
    numbered,
    pathOf: (n) => (numbered ? join(dir, `${before}${n}${after}`) : path),
    async existing() {
      let names: string[];
      try {
        names = await readdir(dir);
      } catch (error) {
        if ((error as { code?: string }).code === 'ENOENT') return [];
        throw error;
      }
      if (!numbered) return names.includes(name) ? [1] : [];
      return names
        .map((entry) => matcher.exec(entry)?.[1])
        .filter((n): n is string => n !== undefined)
        .map(Number)
        .sort((a, b) => a - b);
    },
  };
}

/** True when a path option's file name holds `{n}` once and its directories none. */
export function validTemplate(path: string): boolean {
  const count = path.split(PLACEHOLDER).length - 1;
  return count === 0 || (count === 1 && basename(path).includes(PLACEHOLDER));
}
