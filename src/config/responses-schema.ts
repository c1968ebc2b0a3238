import { z } from 'zod';

/** The actions a destination's response rule can choose (the ResponseAction types of src/core/http-types.ts). */
export const responseActions = [
  'success',
  'retry',
  'rate_limited',
  'refresh_auth',
  'conflict',
  'reject',
  'fail',
  'ignore',
] as const;

/** The actions a source's response rule can choose: a source page is read, retried, ended on or failed. */
export const sourceResponseActions = ['end_of_data', 'retry', 'rate_limited', 'fail'] as const;

/** One classification override as code sees it. */
export interface ResponseRuleConfig<Action extends string = (typeof responseActions)[number]> {
  readonly status: number;
  readonly bodyContains?: string;
  readonly action: Action;
}

function rulesSchema<const Actions extends readonly [string, ...string[]]>(actions: Actions, extra: string) {
  return z
    .array(
      z.strictObject({
        status: z.number().int().min(100).max(599).describe('The HTTP status this rule matches.'),
        body_contains: z
          .string()
          .min(1)
          .optional()
          .describe('Matches only when the response body contains this text (case-sensitive).'),
        action: z.enum(actions).describe('What to do with a matching response.'),
      }),
    )
    .default([])
    .describe(
      `Classification overrides, first match wins, before the defaults. Actions: ${actions.join(', ')}.${extra}`,
    );
}

/** The destination's `responses` list: per-status overrides, first match wins, checked before the built-in rules. */
export const responsesSchema = rulesSchema(responseActions, '');

/** The source's `responses` list; `end_of_data` ends the read (a 404 past the last page, say). */
export const sourceResponsesSchema = rulesSchema(
  sourceResponseActions,
  ' `end_of_data` ends the read without error on any page but the first (there it stays an error: the URL is wrong).',
);

/** Converts a parsed `responses` list to its camelCase form. */
export function toResponseRules<Action extends string>(
  parsed: readonly { status: number; body_contains?: string | undefined; action: Action }[],
): ResponseRuleConfig<Action>[] {
  return parsed.map((rule) => ({
    status: rule.status,
    ...(rule.body_contains === undefined ? {} : { bodyContains: rule.body_contains }),
    action: rule.action,
  }));
}
