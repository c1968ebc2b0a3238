import { z } from 'zod';
import { duration } from './field-types.ts';

/** Circuit breaker settings as code sees them. */
export interface CircuitBreakerConfig {
  readonly consecutiveFailures: number;
  readonly halfOpenAfterMs: number;
  readonly maxPauseMs: number;
  readonly maxWaitForFirstAnswerMs: number;
}

/** The `circuit_breaker` block: pauses the run while the destination is down instead of failing records. */
export const circuitBreakerSchema = z
  .strictObject({
    consecutive_failures: z
      .number()
      .int()
      .min(1)
      .default(10)
      .describe('Opens the breaker after this many transient failures in a row.'),
    half_open_after: duration()
      .prefault('5s')
      .describe('Waits this long before letting one trial request through.'),
    max_pause: duration()
      .prefault('10m')
      .describe('Aborts the run (FERRY_ERR_CIRCUIT_OPEN) when the breaker stays open this long.'),
    max_wait_for_first_answer: duration()
      .prefault('10s')
      .describe(
        'While the destination has not answered once in this run (connection refused, unknown host), aborts the run (FERRY_ERR_DESTINATION_UNREACHABLE, exit 3) this long after the first failed connection; once it has answered, max_pause applies.',
      ),
  })
  .prefault({})
  .describe('Pauses sending while the destination is down.');

/** Converts a parsed `circuit_breaker` block to its camelCase form. */
export function toCircuitBreakerConfig(parsed: z.output<typeof circuitBreakerSchema>): CircuitBreakerConfig {
  return {
    consecutiveFailures: parsed.consecutive_failures,
    halfOpenAfterMs: parsed.half_open_after,
    maxPauseMs: parsed.max_pause,
    maxWaitForFirstAnswerMs: parsed.max_wait_for_first_answer,
  };
}
