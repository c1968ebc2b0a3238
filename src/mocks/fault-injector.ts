import type { ResolvedFaults } from './fault-options.ts';
import { createRandom, hashSeed } from './prng.ts';

/** What the injector decided for one request. */
export type FaultDecision =
  | { kind: 'none' }
  | { kind: 'error'; status: 500 | 503 }
  | { kind: 'rate_limited' }
  | { kind: 'lost_ack' }
  | { kind: 'graphql_error' }
  /** `at` in [0, 1) picks which customer of the page fails. */
  | { kind: 'graphql_partial'; at: number };

/** Seeded fault draws: the n-th request gets the same decision for the same seed, whatever the timing. */
export interface FaultInjector {
  /** Decides the fate of the next request; always consumes the same number of draws. */
  next(): FaultDecision;
  /** A Retry-After value asking for `seconds`, in the configured form. */
  retryAfter(seconds: number, nowMs: number): string;
  /** Starts the sequences again, as a fresh server with the same seed would. */
  reset(): void;
}

/** Creates the fault injector of one mock server from its seed and resolved fault options. */
export function createFaultInjector(seed: number, faults: ResolvedFaults): FaultInjector {
  let draws = createRandom(hashSeed(seed, 0x0fa017));
  // A separate stream for Retry-After forms, so rate-limiter 429s (which depend on timing) never shift the
  // fault sequence.
  let forms = createRandom(hashSeed(seed, 0x0fa018));
  const errorBand = faults.errorRate;
  const rateLimitedBand = errorBand + faults.rateLimitedRate;
  const lostAckBand = rateLimitedBand + faults.lostAckRate;
  // GraphQL faults share the one draw per request, so the HTTP faults of a server stay where they were
  // when GraphQL faults are switched on; a REST request that draws one is answered normally.
  const graphqlErrorBand = lostAckBand + faults.graphqlErrorRate;
  const graphqlPartialBand = graphqlErrorBand + faults.graphqlPartialRate;
  return {
    next() {
      const u = draws();
      const v = draws();
      if (u < errorBand) return { kind: 'error', status: v < 0.5 ? 500 : 503 };
      if (u < rateLimitedBand) return { kind: 'rate_limited' };
      if (u < lostAckBand) return { kind: 'lost_ack' };
      if (u < graphqlErrorBand) return { kind: 'graphql_error' };
      if (u < graphqlPartialBand) return { kind: 'graphql_partial', at: v };
      return { kind: 'none' };
    },
    retryAfter(seconds, nowMs) {
      const whole = Math.max(0, Math.ceil(seconds));
      const asDate = faults.retryAfter === 'http-date' || (faults.retryAfter === 'mixed' && forms() < 0.5);
      // An HTTP-date has one-second resolution: round up so a client never retries early.
      return asDate ? new Date(Math.ceil(nowMs / 1000) * 1000 + whole * 1000).toUTCString() : String(whole);
    },
    reset() {
      draws = createRandom(hashSeed(seed, 0x0fa017));
      forms = createRandom(hashSeed(seed, 0x0fa018));
    },
  };
}
