import { z } from 'zod';
import { CONFIGURABLE_CLASSES, DEFAULT_ERROR_CODES, type ErrorCodeOverrides } from './graphql-errors.ts';

const codes = (what: string) =>
  z.array(z.string().min(1)).default([]).describe(`\`extensions.code\` values that mean ${what}.`);

/** The `error_codes` block: what a GraphQL API's own error codes mean, added to the defaults. */
export const errorCodesSchema = z
  .strictObject({
    retry: codes('a passing failure: the request is retried with backoff'),
    rate_limited: codes('slow down: the request waits (Retry-After when sent) and is retried'),
    refresh_auth: codes('expired or missing credentials: refreshed once, then the run stops'),
    forbidden: codes('the credentials may not do this: the run stops'),
    invalid: codes('the operation does not fit the API: the run stops as a configuration error'),
    refused: codes('the input was refused: a destination record fails (refused, nothing stored)'),
    conflict: codes('the record exists already: it is looked up and compared'),
  })
  .prefault({})
  .describe(
    `What the API's \`extensions.code\` values mean, when its codes are not the common ones. These win over the defaults: ${CONFIGURABLE_CLASSES.map(
      (errorClass) => `${errorClass}: ${DEFAULT_ERROR_CODES[errorClass].join(', ')}`,
    ).join(
      '; ',
    )}. An error without a code is judged by what graphql-js says (a syntax or validation error, a variable's invalid value); any other is unknown: a source stops, a destination record fails.`,
  );

/** The parsed `error_codes` block as the classifier takes it. */
export function toErrorCodeOverrides(parsed: z.output<typeof errorCodesSchema>): ErrorCodeOverrides {
  return parsed;
}
