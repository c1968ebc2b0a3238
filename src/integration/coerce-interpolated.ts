import type { z } from 'zod';
import { formatPath, type PathKey } from '../config/config-path.ts';
import { type ConfigProblem, type PositionMap, problemAt } from '../config/config-problem.ts';
import { referencedNames } from '../config/interpolate.ts';
import { defOf, schemaAt, unwrap } from '../config/schema-walk.ts';

const NUMBER = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$/i;
const BOOLEANS: Readonly<Record<string, boolean>> = { true: true, false: false };

/** Where the coercion reports problems. */
export interface CoerceOptions {
  readonly file: string;
  readonly positions: PositionMap;
  /** How each string was written before interpolation, by formatted path. */
  readonly rawStrings: ReadonlyMap<string, string>;
}

/**
 * Turns strings that came from `${VAR}` references into numbers or booleans where the schema wants one
 * (`page_size: ${PAGE_SIZE}`): environment variables are always text, and YAML typing never saw the value.
 * Mutates `data`; returns a problem naming the variable for each value that is not a number or boolean.
 * Strings written literally in the file are left alone for the schema to judge.
 */
export function coerceInterpolated(root: z.ZodType, data: unknown, options: CoerceOptions): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const visit = (value: unknown, path: PathKey[]): unknown => {
    if (Array.isArray(value)) {
      value.forEach((item, index) => {
        value[index] = visit(item, [...path, index]);
      });
      return value;
    }
    if (value !== null && typeof value === 'object') {
      const object = value as Record<string, unknown>;
      for (const key of Object.keys(object)) object[key] = visit(object[key], [...path, key]);
      return value;
    }
    if (typeof value !== 'string') return value;
    const raw = options.rawStrings.get(formatPath(path));
    const variables = raw === undefined ? [] : referencedNames(raw);
    if (variables.length === 0) return value;
    const schema = schemaAt(root, data, path);
    const wanted = schema ? scalarWanted(schema) : undefined;
    if (wanted === undefined) return value;
    const text = value.trim();
    const coerced = wanted === 'number' ? (NUMBER.test(text) ? Number(text) : undefined) : BOOLEANS[text];
    if (coerced !== undefined) return coerced;
    const expected = wanted === 'number' ? 'a number' : 'true or false';
    problems.push(
      problemAt(
        options.file,
        options.positions,
        path,
        `${variables.join(', ')} ${variables.length === 1 ? 'gives' : 'give'} ${JSON.stringify(value)} ` +
          `(written as ${raw}); expected ${expected}`,
        'value',
      ),
    );
    return value;
  };
  visit(data, []);
  return problems;
}

/** The number or boolean a schema node wants, also as one form of a union (`concurrency: 16 | {...}`). */
function scalarWanted(schema: z.ZodType): 'number' | 'boolean' | undefined {
  const def = defOf(unwrap(schema));
  const types =
    def.type === 'union' ? (def.options ?? []).map((option) => defOf(unwrap(option)).type) : [def.type];
  return types.includes('number') ? 'number' : types.includes('boolean') ? 'boolean' : undefined;
}
