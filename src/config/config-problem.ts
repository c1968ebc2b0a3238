import type { ErrorCode } from '../core/error-codes.ts';
import { FerryError } from '../core/errors.ts';
import { redactSecrets } from '../core/secret-registry.ts';
import { formatPath, type PathKey } from './config-path.ts';

/** A 1-based line and column in the config file. */
export interface Position {
  readonly line: number;
  readonly column: number;
}

/** Where a config value was written: its key (for mapping entries) and its value. */
export interface NodePosition {
  readonly key?: Position;
  readonly value?: Position;
}

/** Positions by formatted path; empty for integrations built in code. */
export type PositionMap = ReadonlyMap<string, NodePosition>;

/** One thing wrong with a config file, as listed in the thrown error's details. */
export interface ConfigProblem {
  readonly file: string;
  readonly line: number | null;
  readonly column: number | null;
  readonly path: string;
  readonly message: string;
}

/** Finds where `path` was written: the key of the entry, or the nearest written ancestor. */
export function positionOf(
  positions: PositionMap,
  path: readonly PathKey[],
  prefer: 'key' | 'value' = 'key',
): Position | undefined {
  for (let length = path.length; length >= 0; length--) {
    const node = positions.get(formatPath(path.slice(0, length)));
    if (!node) continue;
    const position = prefer === 'key' ? (node.key ?? node.value) : (node.value ?? node.key);
    if (position) return position;
  }
  return undefined;
}

/** Builds a problem at `path`, locating it in the file. */
export function problemAt(
  file: string,
  positions: PositionMap,
  path: readonly PathKey[],
  message: string,
  prefer: 'key' | 'value' = 'key',
): ConfigProblem {
  const position = positionOf(positions, path, prefer);
  return {
    file,
    line: position?.line ?? null,
    column: position?.column ?? null,
    path: formatPath(path),
    // Messages are built without secret values; redaction is the second line of defence.
    message: redactSecrets(message),
  };
}

/** `file:line:column` when the position is known, else just the file. */
export function locationOf(problem: Pick<ConfigProblem, 'file' | 'line' | 'column'>): string {
  return problem.line === null ? problem.file : `${problem.file}:${problem.line}:${problem.column}`;
}

/** Throws one FerryError listing every problem on its own line. */
export function throwProblems(
  code: ErrorCode,
  headline: string,
  problems: readonly ConfigProblem[],
  formatLine: (problem: ConfigProblem) => string = (p) => `${locationOf(p)} ${p.path}: ${p.message}`,
): never {
  const lines = problems.map((p) => `  ${formatLine(p)}`);
  throw new FerryError(code, redactSecrets(`${headline}\n${lines.join('\n')}`), {
    details: { errors: problems.map((p) => ({ ...p })) },
  });
}
