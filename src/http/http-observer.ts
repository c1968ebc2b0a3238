/**
 * Callbacks the HTTP layer reports through; the engine wires them to metrics. Every field is bounded in
 * cardinality (endpoint names, status codes, error codes): no record ids, URLs or secrets.
 */
export interface HttpObserver {
  /** A response was fully read; durationMs covers sending the request and reading the whole body. */
  onResponse?(event: {
    endpoint: string;
    method: string;
    status: number;
    durationMs: number;
    attempt: number;
  }): void;
  /** A request failed below HTTP (reset, refused, timeout...); code is the underlying error code. */
  onNetworkError?(event: { endpoint: string; code: string }): void;
  /** The retry layer is about to wait delayMs before attempt `attempt + 1`. */
  onRetry?(event: { endpoint: string; attempt: number; delayMs: number; reason: string }): void;
  /** The destination asked us to slow down (429, 503 with Retry-After, quota at zero). */
  onRateLimited?(event: { endpoint: string; waitMs: number }): void;
  /** The circuit breaker changed state. */
  onBreakerState?(event: {
    endpoint: string;
    state: 'closed' | 'open' | 'half_open';
    /** While open or half-open: when waiting callers will give up (ms since the epoch). */
    givesUpAt?: number;
  }): void;
  /** A request waited waitMs in the client-side rate limiter (0 when it went straight through). */
  onLimiterWait?(event: { endpoint: string; waitMs: number }): void;
  /** The adaptive limiter changed its rate (requests per second; Infinity = unlimited). */
  onRateChange?(event: { endpoint: string; rate: number }): void;
  /**
   * The limit on requests in flight at the start (`initial`), and each time an adaptive one moves: raised
   * while the latency stays flat (`probe`), cut when it rises (`latency`) or the destination pushes back
   * (`overload`), halved and restored to measure the round trip without a queue (`baseline`), restored when
   * the push-back did not fall with a cut (`background`: the destination gives it whatever the load).
   */
  onConcurrencyLimit?(event: {
    endpoint: string;
    limit: number;
    adaptive: boolean;
    reason: 'initial' | 'probe' | 'latency' | 'overload' | 'baseline' | 'background';
  }): void;
}
