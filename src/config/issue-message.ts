import type { z } from 'zod';
import { didYouMean } from './did-you-mean.ts';
import { kindOf } from './schema-walk.ts';

const EXPECTED_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  object: 'a mapping (key: value)',
  array: 'a list',
  record: 'a mapping (key: value)',
  null: 'null',
};

const KIND_EXPECTATIONS: Record<string, string> = {
  duration: 'expected a duration like "500ms", "30s" or "5m"',
  size: 'expected a size like "512kb", "1MB" or a number of bytes',
  url: 'expected an absolute http:// or https:// URL',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: config reference syntax, not a template
  secret: 'expected a ${VAR} or ${file:...} reference',
};

/** Describes a found value for a message; secret values are never shown, only their type. */
export function describeFound(value: unknown, secret: boolean): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (secret) return `a ${typeof value} (value hidden)`;
  if (typeof value === 'string') {
    const shown = value.length > 60 ? `${value.slice(0, 57)}...` : value;
    return JSON.stringify(shown);
  }
  return String(value);
}

/** The context an issue message needs: the value found, its schema node and whether it is secret. */
export interface IssueContext {
  readonly value: unknown;
  readonly schema: z.ZodType | undefined;
  readonly secret: boolean;
}

/** `; did you mean "x"?` when the found string is close to one of the allowed values. */
function suggestion(value: unknown, allowed: readonly unknown[]): string {
  if (typeof value !== 'string') return '';
  const close = didYouMean(value, allowed.map(String));
  return close === undefined ? '' : `; did you mean "${close}"?`;
}

/** Turns one zod issue into "expected X, found Y" (unknown keys are handled by the caller). */
export function issueMessage(issue: z.core.$ZodIssue, context: IssueContext): string {
  const found = describeFound(context.value, context.secret);
  const kind = context.schema ? kindOf(context.schema) : undefined;
  if (context.value === undefined && issue.code === 'invalid_type') {
    return `is required (${EXPECTED_NAMES[issue.expected] ?? issue.expected}) but missing`;
  }
  switch (issue.code) {
    case 'invalid_type':
      if (kind && kind !== 'headers') return `${KIND_EXPECTATIONS[kind]}, found ${found}`;
      return `expected ${EXPECTED_NAMES[issue.expected] ?? issue.expected}, found ${found}`;
    case 'invalid_union':
      if ('discriminator' in issue && issue.discriminator) {
        const options = (issue as { options?: unknown[] }).options ?? [];
        return `expected one of ${options.map((o) => JSON.stringify(o)).join(', ')}, found ${found}${suggestion(context.value, options)}`;
      }
      if (kind && KIND_EXPECTATIONS[kind]) return `${KIND_EXPECTATIONS[kind]}, found ${found}`;
      // A union that words its own expectation (`{ error: "expected ..." }`) says it best.
      if (issue.message.startsWith('expected ')) return `${issue.message}, found ${found}`;
      return `does not match any allowed form, found ${found}`;
    case 'invalid_value':
      return issue.values.length === 1
        ? `expected ${JSON.stringify(issue.values[0])}, found ${found}`
        : `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}, found ${found}${suggestion(context.secret ? undefined : context.value, issue.values)}`;
    case 'too_small': {
      const op = issue.inclusive ? 'at least' : 'more than';
      if (issue.origin === 'string' && Number(issue.minimum) === 1)
        return `expected a non-empty string, found ${found}`;
      if (issue.origin === 'string')
        return `expected ${op} ${String(issue.minimum)} characters, found ${found}`;
      if (issue.origin === 'array') return `expected ${op} ${String(issue.minimum)} items, found ${found}`;
      return `expected a number ${op} ${String(issue.minimum)}, found ${found}`;
    }
    case 'too_big': {
      const op = issue.inclusive ? 'at most' : 'less than';
      if (issue.origin === 'string')
        return `expected ${op} ${String(issue.maximum)} characters, found ${found}`;
      if (issue.origin === 'array') return `expected ${op} ${String(issue.maximum)} items, found ${found}`;
      return `expected a number ${op} ${String(issue.maximum)}, found ${found}`;
    }
    default:
      return `${issue.message}, found ${found}`;
  }
}
