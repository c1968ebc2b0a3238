import type { Reason } from '../core/ledger-types.ts';

/** A record count the engine reports; `read` counts records pulled from the source. */
export type CountedState = 'read' | 'delivered' | 'skipped' | 'quarantined' | 'failed';

/** Circuit breaker states as observability shows them. */
export type BreakerState = 'closed' | 'half_open' | 'open';

/** One HTTP exchange, reported once per attempt. */
export interface HttpObservation {
  /** A bounded name ("source", "destination", "token", "lookup"), never a URL with ids in it. */
  readonly endpoint: string;
  /** The response status, or 'error' when no response arrived (reset, timeout). */
  readonly status: number | 'error';
  readonly durationMs: number;
}

/**
 * What the engine, the HTTP interceptors and the auth strategies report while a run goes on. Metrics
 * and the run reporter both implement it; combineObservers() fans one call out to several.
 */
export interface RunObserver {
  /** Counts records reaching a state (`read` when pulled from the source). @default count 1 */
  recordState(state: CountedState, count?: number): void;
  /** Counts an HTTP attempt and its latency; a 429 status also counts as rate limited. */
  httpResponse(observation: HttpObservation): void;
  /** Counts a retry of a request; `reason` is a bounded word ("503", "timeout", "reset", "429"). */
  retry(event: { readonly endpoint: string; readonly reason: string }): void;
  /** Counts throttling not already reported as a 429 through httpResponse (a quota header at zero). */
  rateLimited(event: { readonly endpoint: string }): void;
  /** Counts a credential refresh; `reason` is "expiry", "401" or "initial". */
  tokenRefresh(event: { readonly reason: string }): void;
  /** Records the breaker's current state for an endpoint. */
  breakerState(event: {
    readonly endpoint: string;
    readonly state: BreakerState;
    /** While open or half-open: when the run gives up waiting (ms since the epoch). */
    readonly givesUpAt?: number;
  }): void;
  /** Records how long a request waited for the client-side rate limiter. */
  limiterWait(event: { readonly endpoint: string; readonly waitMs: number }): void;
  /** Records the limiter's current allowed rate (requests per second; 0 = unlimited). */
  rate(event: { readonly endpoint: string; readonly requestsPerSecond: number }): void;
  /** Records how many records are in flight right now. */
  inFlight(count: number): void;
  /** Records the limit on records in flight: its first value, then each change of an adaptive one. */
  concurrencyLimit(event: {
    readonly endpoint: string;
    readonly limit: number;
    readonly adaptive: boolean;
    /** "initial", or why an adaptive limit moved ("probe", "latency", "overload", "baseline", "background"). */
    readonly reason: string;
  }): void;
  /** Records a quarantined or failed record with its reasons (in addition to recordState). */
  deadLetter(letter: {
    readonly key: string;
    readonly state: 'quarantined' | 'failed';
    readonly reasons: readonly Reason[];
  }): void;
}

/** Returns one observer that forwards every call to each given observer, in order. */
export function combineObservers(...observers: readonly RunObserver[]): RunObserver {
  return {
    recordState: (state, count) => {
      for (const o of observers) o.recordState(state, count);
    },
    httpResponse: (observation) => {
      for (const o of observers) o.httpResponse(observation);
    },
    retry: (event) => {
      for (const o of observers) o.retry(event);
    },
    rateLimited: (event) => {
      for (const o of observers) o.rateLimited(event);
    },
    tokenRefresh: (event) => {
      for (const o of observers) o.tokenRefresh(event);
    },
    breakerState: (event) => {
      for (const o of observers) o.breakerState(event);
    },
    limiterWait: (event) => {
      for (const o of observers) o.limiterWait(event);
    },
    rate: (event) => {
      for (const o of observers) o.rate(event);
    },
    inFlight: (count) => {
      for (const o of observers) o.inFlight(count);
    },
    concurrencyLimit: (event) => {
      for (const o of observers) o.concurrencyLimit(event);
    },
    deadLetter: (letter) => {
      for (const o of observers) o.deadLetter(letter);
    },
  };
}
