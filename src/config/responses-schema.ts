import { z } from 'zod';

/** The actions a response rule can choose (the ResponseAction types of src/core/http-types.ts). */
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

/** One classification override as code sees it. */
export interface ResponseRuleConfig {
  readonly status: number;
  readonly action: (typeof responseActions)[number];
}

/** The `responses` list: per-status overrides, first match wins, checked before the built-in rules. */
export const responsesSchema = z
  .array(
    z.strictObject({
      status: z.number().int().min(100).max(599).describe('The HTTP status this rule matches.'),
      action: z.enum(responseActions).describe('What to do with a response of that status.'),
    }),
  )
  .default([])
  .describe(
    'Classification overrides, first match wins, before the defaults. Actions: ' +
      `${responseActions.join(', ')}.`,
  );
