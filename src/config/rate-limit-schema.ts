import { z } from 'zod';

/** Rate limit settings as code sees them. */
export interface RateLimitConfig {
  readonly requestsPerSecond: number;
  readonly adaptive: boolean;
}

/** The `rate_limit` block: a client-side limit and adaptive slow-down on 429s. */
export const rateLimitSchema = z
  .strictObject({
    requests_per_second: z
      .number()
      .min(0)
      .default(0)
      .describe('Fixed ceiling on requests per second; 0 means no fixed limit.'),
    adaptive: z
      .boolean()
      .default(true)
      .describe('Slows down on 429s and RateLimit headers, then creeps back up.'),
  })
  .prefault({})
  .describe('How fast records are sent.');

/** Converts a parsed `rate_limit` block to its camelCase form. */
export function toRateLimitConfig(parsed: z.output<typeof rateLimitSchema>): RateLimitConfig {
  return { requestsPerSecond: parsed.requests_per_second, adaptive: parsed.adaptive };
}
