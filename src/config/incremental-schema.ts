import { z } from 'zod';
import type { IncrementalCursor } from '../core/connector-types.ts';
import { parseDurationMs } from '../core/duration.ts';
import type { CursorValue } from '../core/ledger-types.ts';

const NUMBER = /^\s*\d+(\.\d+)?\s*$/;

/**
 * The `incremental` block of a source: the cursor the engine tracks (shared by every source) plus
 * `where`, the keys a connector needs to put the value in its requests (a query parameter for REST, a
 * variable for GraphQL).
 */
export function incrementalSchema<Where extends z.ZodRawShape>(where: Where, description: string) {
  return z
    .strictObject({
      cursor_field: z
        .string()
        .min(1)
        .describe(
          'Dot path of the field in each source record that grows when the record changes (`updated_at`, `version`, an increasing `id`).',
        ),
      cursor_type: z
        .enum(['timestamp', 'number'])
        .default('timestamp')
        .describe(
          '`timestamp`: RFC 3339 date-times, compared as instants; `number`: an increasing number (a numeric string counts).',
        ),
      lookback: z
        .union([z.string(), z.number().min(0)])
        .default(0)
        .describe(
          'How far before the high-water mark each read starts, to catch late writes (a transaction that committed after a later one was read): a duration (`"5m"`) for timestamps, a number for number cursors. Records read again unchanged are skipped by content.',
        ),
      start: z
        .union([z.string(), z.number()])
        .optional()
        .describe(
          'What the first read asks from, before there is a mark (`"1970-01-01T00:00:00Z"`, `0`). Without it the first read asks for everything, in the API\'s own order: when that is not the cursor\'s order and records change during the read, the mark it ends with can pass a record changed behind it. With it, every read is ordered by the cursor.',
        ),
      ...where,
    })
    .superRefine((parsed, ctx) => {
      // Generic over `where`, the parsed value's type is too wide for TypeScript to see these keys.
      const value = parsed as unknown as IncrementalOptions;
      if (value.start !== undefined && startOf(value.cursor_type, value.start) === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['start'],
          message:
            value.cursor_type === 'timestamp'
              ? 'expected an RFC 3339 date-time such as 1970-01-01T00:00:00Z'
              : 'expected a number',
        });
      }
      if (lookbackOf(value.cursor_type, value.lookback) === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['lookback'],
          message:
            value.cursor_type === 'timestamp'
              ? 'expected a duration like "30s" or "5m"'
              : 'expected a number of cursor units (a number cursor has no durations)',
        });
      }
    })
    .optional()
    .describe(description);
}

/** The lookback in the cursor's units (ms for timestamps), or undefined when it is not one. */
function lookbackOf(type: 'timestamp' | 'number', raw: string | number): number | undefined {
  if (type === 'number') {
    if (typeof raw === 'number') return raw >= 0 ? raw : undefined;
    return NUMBER.test(raw) ? Number(raw) : undefined;
  }
  try {
    return parseDurationMs(raw);
  } catch {
    return undefined;
  }
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** The first read's value as the cursor's type has it, or undefined when it is not one. */
function startOf(type: 'timestamp' | 'number', raw: string | number): CursorValue | undefined {
  if (type === 'number') {
    if (typeof raw === 'number') return Number.isFinite(raw) ? raw : undefined;
    return /^\s*-?\d+(\.\d+)?\s*$/.test(raw) ? Number(raw) : undefined;
  }
  return typeof raw === 'string' && RFC3339.test(raw) && !Number.isNaN(Date.parse(raw)) ? raw : undefined;
}

/** The parsed `incremental` block, as every source's schema outputs it. */
export interface IncrementalOptions {
  readonly cursor_field: string;
  readonly cursor_type: 'timestamp' | 'number';
  readonly lookback: string | number;
  readonly start?: string | number | undefined;
}

/** What the engine tracks, from a parsed `incremental` block (validated already). */
export function toIncrementalCursor(options: IncrementalOptions): IncrementalCursor {
  const start = options.start === undefined ? undefined : startOf(options.cursor_type, options.start);
  return {
    field: options.cursor_field,
    type: options.cursor_type,
    lookback: lookbackOf(options.cursor_type, options.lookback) ?? 0,
    ...(start === undefined ? {} : { start }),
  };
}
