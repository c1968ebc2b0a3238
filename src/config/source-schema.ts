import { z } from 'zod';
import { type AuthConfig, authSchema, toAuthConfig } from './auth-schema.ts';
import { headers, httpUrl, optionalText, size } from './field-types.ts';
import { type PaginationConfig, paginationSchema, toPaginationConfig } from './pagination-schema.ts';
import {
  type ResponseRuleConfig,
  type sourceResponseActions,
  sourceResponsesSchema,
  toResponseRules,
} from './responses-schema.ts';
import { type RetryConfig, retrySchema, toRetryConfig } from './retry-schema.ts';
import { type TimeoutsConfig, timeoutsSchema, toTimeoutsConfig } from './timeouts-schema.ts';

/** The `source` block: where records are read from. */
export const sourceSchema = z
  .strictObject({
    type: z.literal('rest').describe('Connector type; `rest` is the only one so far.'),
    url: httpUrl().describe('URL of the first page.'),
    auth: authSchema,
    records_path: z
      .string()
      .default('')
      .describe('Dot path to the records array in the body; "" means the body is the array.'),
    key: optionalText().describe("Field holding each record's key; the mapping file's `key` wins."),
    pagination: paginationSchema,
    total_path: optionalText().describe(
      'Dot path to the total record count the source announces in the body (`count`, `meta.total`); the `X-Total-Count` header is read without it. A known total ends page_number and offset reads once reached, and a complete read is checked against it.',
    ),
    on_total_mismatch: z
      .enum(['fail', 'warn'])
      .default('fail')
      .describe(
        'What a complete read whose record count differs from the announced total does: `fail` ends the run aborted (exit 3) naming expected and read counts; `warn` logs it and lets the run finish.',
      ),
    responses: sourceResponsesSchema,
    headers: headers().describe('Extra static headers sent with every source request.'),
    timeouts: timeoutsSchema({ connect: '10s', headers: '30s', body: '60s' }),
    max_response_bytes: size().prefault('50MB').describe('Largest page body accepted.'),
    retry: retrySchema({
      maxAttempts: 6,
      maxElapsed: '5m',
      baseDelay: '250ms',
      maxDelay: '30s',
      maxRetryAfter: '5m',
    }),
  })
  .describe('Where records are read from.');

/** Source settings as code sees them. */
export interface SourceConfig {
  readonly type: 'rest';
  readonly url: string;
  readonly auth: AuthConfig;
  readonly recordsPath: string;
  readonly key?: string;
  readonly pagination: PaginationConfig;
  readonly totalPath?: string;
  readonly onTotalMismatch: 'fail' | 'warn';
  readonly responses: readonly ResponseRuleConfig<(typeof sourceResponseActions)[number]>[];
  readonly headers: Readonly<Record<string, string>>;
  readonly timeouts: TimeoutsConfig;
  readonly maxResponseBytes: number;
  readonly retry: RetryConfig;
}

/** Converts a parsed `source` block to its camelCase form. */
export function toSourceConfig(parsed: z.output<typeof sourceSchema>): SourceConfig {
  return {
    type: parsed.type,
    url: parsed.url,
    auth: toAuthConfig(parsed.auth),
    recordsPath: parsed.records_path,
    ...(parsed.key === undefined ? {} : { key: parsed.key }),
    pagination: toPaginationConfig(parsed.pagination),
    ...(parsed.total_path === undefined ? {} : { totalPath: parsed.total_path }),
    onTotalMismatch: parsed.on_total_mismatch,
    responses: toResponseRules(parsed.responses),
    headers: parsed.headers,
    timeouts: toTimeoutsConfig(parsed.timeouts),
    maxResponseBytes: parsed.max_response_bytes,
    retry: toRetryConfig(parsed.retry),
  };
}
