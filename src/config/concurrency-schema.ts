import { z } from 'zod';
import { MAX_CONCURRENCY } from './limits.ts';

/** How many records a destination takes at once, as code sees it. */
export type ConcurrencyConfig =
  | { readonly adaptive: false; readonly limit: number }
  | { readonly adaptive: true; readonly initial: number; readonly min: number; readonly max: number };

/**
 * The adaptive defaults: start at the 16 ferry kept fixed before (a destination that took 16 at once never
 * sees more at the start than it did), never past 256 unless asked.
 */
export const ADAPTIVE_DEFAULTS = { initial: 16, min: 1, max: 256 } as const;

const count = (what: string) => z.number().int().min(1).max(MAX_CONCURRENCY).describe(what);

const adaptiveSchema = z
  .strictObject({
    adaptive: z
      .literal(true)
      .default(true)
      .describe('Find the destination’s capacity while the run goes (write a number for a fixed limit).'),
    initial: count('Records in flight at the start.').default(ADAPTIVE_DEFAULTS.initial),
    min: count('Never fewer records in flight than this.').default(ADAPTIVE_DEFAULTS.min),
    max: count('Never more records in flight than this.').default(ADAPTIVE_DEFAULTS.max),
  })
  .superRefine((value, ctx) => {
    if (value.min > value.max)
      ctx.addIssue({ code: 'custom', path: ['min'], message: `must not exceed max (${value.max})` });
    else if (value.initial < value.min || value.initial > value.max)
      ctx.addIssue({
        code: 'custom',
        path: ['initial'],
        message: `must lie between min (${value.min}) and max (${value.max})`,
      });
  });

/**
 * The `concurrency` of a destination: a number is a fixed limit; an object (the default) lets ferry find the
 * destination's capacity, raising the records in flight while its latency stays flat and cutting them when
 * latency rises or it answers 429, 503 or times out. The rate limiter still has the last word.
 */
export const concurrencySchema = z
  .union([count('A fixed number of records in flight at once.'), adaptiveSchema], {
    error: 'expected a number (fixed), or an object { adaptive: true, initial, min, max }',
  })
  .prefault({ adaptive: true, ...ADAPTIVE_DEFAULTS })
  .describe(
    'Records in flight at once: a number (fixed), or `{ adaptive: true, initial, min, max }` (the default: ' +
      'ferry raises it while the destination’s latency stays flat and cuts it when latency rises or it ' +
      'answers 429, 503 or times out).',
  );

/** Converts a parsed `concurrency`; a fixed `override` (--concurrency) wins. */
export function toConcurrencyConfig(
  parsed: z.output<typeof concurrencySchema>,
  override?: number,
): ConcurrencyConfig {
  if (override !== undefined) return { adaptive: false, limit: override };
  if (typeof parsed === 'number') return { adaptive: false, limit: parsed };
  return { adaptive: true, initial: parsed.initial, min: parsed.min, max: parsed.max };
}

/** The most records in flight a config allows: sizes connection pools. */
export function maxConcurrency(config: ConcurrencyConfig): number {
  return config.adaptive ? config.max : config.limit;
}
