import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { z } from 'zod';
import { FerryError } from '../../core/errors.ts';
import { describeProblem, type GraphqlOperation, readOperation } from './graphql-operation.ts';

/** A variable ferry sets itself on every request (a cursor, a page size, the record's value). */
export interface FerryVariable {
  readonly name: string;
  /** The option that names it, for messages: `pagination.cursor_variable`. */
  readonly option: string;
  /** What ferry puts in it, for messages: "the cursor of the previous page". */
  readonly holds: string;
}

/** A problem with the options, as a config issue: the path below the connector's block and a message. */
export interface OptionProblem {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

/** What to check an operation's variables against. */
export interface VariableExpectations {
  /** Variables ferry sets: each must be declared. */
  readonly setByFerry: readonly FerryVariable[];
  /** Names of the static `variables` option. */
  readonly provided: readonly string[];
}

/**
 * The operation's declared variables against what ferry and the user give: every variable ferry sets is
 * declared, every static variable is declared and not one ferry sets, and every required variable is given.
 * Caught when the config is read, not by the server on the first request.
 */
export function checkVariables(operation: GraphqlOperation, expect: VariableExpectations): OptionProblem[] {
  const problems: OptionProblem[] = [];
  const kind = operation.kind;
  const ferryNames = new Set(expect.setByFerry.map((v) => v.name));
  for (const variable of expect.setByFerry) {
    if (!operation.variables.has(variable.name)) {
      problems.push({
        path: variable.option.split('.'),
        message: `the ${kind} declares no $${variable.name}, which ferry fills with ${variable.holds}: declare it (\`${kind} ($${variable.name}: ...)\`) and use it, or set ${variable.option} to the variable you declared (${declaredList(operation)})`,
      });
    }
  }
  for (const name of expect.provided) {
    if (ferryNames.has(name)) {
      const owner = expect.setByFerry.find((v) => v.name === name)!;
      problems.push({
        path: ['variables', name],
        message: `$${name} is filled by ferry (${owner.option}: ${owner.holds}); remove it from variables`,
      });
    } else if (!operation.variables.has(name)) {
      problems.push({
        path: ['variables', name],
        message: `the ${kind} declares no $${name} (it declares ${declaredList(operation)})`,
      });
    }
  }
  const given = new Set([...ferryNames, ...expect.provided]);
  for (const [name, declared] of operation.variables) {
    if (declared.required && !given.has(name)) {
      problems.push({
        path: ['variables'],
        message: `the ${kind} requires $${name}: ${declared.type}, which nothing fills: give it under variables`,
      });
    }
  }
  return problems;
}

function declaredList(operation: GraphqlOperation): string {
  return [...operation.variables.keys()].map((v) => `$${v}`).join(', ') || 'none';
}

/**
 * Reads and checks inline operation text for a schema's superRefine: syntax, kind and variables are
 * reported as issues on the option, so `ferry validate` names the YAML line. Returns the operation when
 * it parsed.
 */
export function refineOperation(
  text: string | undefined,
  path: readonly string[],
  expected: 'query' | 'mutation',
  operationName: string | undefined,
  ctx: z.core.$RefinementCtx,
  origin: string,
): GraphqlOperation | undefined {
  if (text === undefined) return undefined;
  const read = readOperation(text, expected, { name: origin }, operationName);
  if ('problems' in read) {
    for (const problem of read.problems) {
      ctx.addIssue({ code: 'custom', path: [...path], message: describeProblem(problem, { name: origin }) });
    }
    return undefined;
  }
  return read;
}

/** Adds option problems to a schema's refinement context. */
export function addProblems(
  ctx: z.core.$RefinementCtx,
  problems: readonly OptionProblem[],
  prefix: readonly string[] = [],
) {
  for (const problem of problems) {
    ctx.addIssue({ code: 'custom', path: [...prefix, ...problem.path], message: problem.message });
  }
}

/** Exactly one of the inline text and the file. */
export function refineOneOf(
  inline: string | undefined,
  file: string | undefined,
  names: readonly [string, string],
  ctx: z.core.$RefinementCtx,
  prefix: readonly string[] = [],
): void {
  if (inline === undefined && file === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: [...prefix, names[0]],
      message: `expected the GraphQL text in ${names[0]}, or a file holding it in ${names[1]}`,
    });
  } else if (inline !== undefined && file !== undefined) {
    ctx.addIssue({
      code: 'custom',
      path: [...prefix, names[1]],
      message: `give ${names[0]} or ${names[1]}, not both`,
    });
  }
}

/**
 * The operation from inline text or from a file (relative to the integration's directory), checked. A
 * problem is a FERRY_ERR_CONFIG_INVALID naming the option, or the file with line and column.
 */
export function loadOperation(options: {
  readonly inline: string | undefined;
  readonly file: string | undefined;
  /** `source.query` or `destination.mutation`, for messages about inline text. */
  readonly option: string;
  readonly fileOption: string;
  readonly expected: 'query' | 'mutation';
  readonly operationName: string | undefined;
  readonly baseDir: string;
  readonly variables: VariableExpectations;
  /** Where variable problems' paths start: `source`, `destination.lookup`. */
  readonly prefix: string;
}): GraphqlOperation {
  let text: string;
  let origin: { name: string; isFile: boolean };
  if (options.file !== undefined) {
    const path = isAbsolute(options.file) ? options.file : resolve(options.baseDir, options.file);
    try {
      text = readFileSync(path, 'utf8');
    } catch (cause) {
      throw new FerryError(
        'FERRY_ERR_CONFIG_NOT_FOUND',
        `${options.fileOption}: cannot read ${path} (${(cause as NodeJS.ErrnoException).code ?? String(cause)})`,
        { cause, details: { field: options.fileOption, file: path } },
      );
    }
    origin = { name: path, isFile: true };
  } else if (options.inline !== undefined) {
    text = options.inline;
    origin = { name: options.option, isFile: false };
  } else {
    throw new FerryError(
      'FERRY_ERR_CONFIG_INVALID',
      `${options.option}: expected the GraphQL text or ${options.fileOption}`,
      {
        details: { field: options.option },
      },
    );
  }
  const read = readOperation(text, options.expected, origin, options.operationName);
  if ('problems' in read) {
    const lines = read.problems.map((problem) => describeProblem(problem, origin));
    const field = origin.isFile ? options.fileOption : options.option;
    throw new FerryError('FERRY_ERR_CONFIG_INVALID', `${field}: ${lines.join('\n')}`, {
      details: { field, ...(origin.isFile ? { file: origin.name } : {}) },
    });
  }
  const problems = checkVariables(read, options.variables);
  if (problems.length > 0) {
    const lines = problems.map(
      (problem) => `${[options.prefix, ...problem.path].join('.')}: ${problem.message}`,
    );
    throw new FerryError('FERRY_ERR_CONFIG_INVALID', lines.join('\n'), {
      details: { field: [options.prefix, ...problems[0]!.path].join('.') },
    });
  }
  return read;
}
