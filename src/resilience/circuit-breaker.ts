import { watchAbort } from '../core/abort-watch.ts';
import { formatDuration } from '../core/duration.ts';
import { FerryError } from '../core/errors.ts';
import type { HttpObserver } from '../http/http-observer.ts';
import { type Clock, systemClock, throwIfAborted } from './clock.ts';

/** Breaker status: closed lets everything through, open makes callers wait, half_open lets one probe through. */
export type BreakerStatus = 'closed' | 'open' | 'half_open';

/** The breaker's state as plain data, for metrics and saving. */
export interface BreakerState {
  readonly status: BreakerStatus;
  /** When it last opened (ms since epoch), null when closed. */
  readonly openedAt: number | null;
  /** Consecutive transient failures counted while closed. */
  readonly failures: number;
}

/**
 * A destination's breaker as every process sending to it sees it (kept in PostgreSQL by
 * src/state/postgres-destination-budget.ts): opened by whichever process saw the destination fail, probed by
 * one process at a time, closed for all by the probe that succeeds.
 */
export interface BreakerBoard {
  /** Whether the shared breaker is open. */
  read(): Promise<boolean>;
  /** Records that this process opened it (or that its probe failed: it opens again from now). */
  open(): Promise<void>;
  /**
   * True when this process may send the one probe now: the breaker is open, `halfOpenAfterMs` passed since
   * it opened, and no other probe is out (a probe out longer than `probeTimeoutMs` counts as lost).
   */
  claimProbe(halfOpenAfterMs: number, probeTimeoutMs: number): Promise<boolean>;
  /** Records that a probe succeeded: every process sends again. */
  close(): Promise<void>;
}

/** Settings of one destination's breaker. */
export interface CircuitBreakerOptions {
  /** Consecutive transient failures (5xx, network) that open it. @default 10 */
  consecutiveFailures?: number;
  /** How long it stays open before one probe is let through. @default 5000 */
  halfOpenAfterMs?: number;
  /** Longest total pause (from first opening until closed again) before callers get FERRY_ERR_CIRCUIT_OPEN. @default 600000 */
  maxPauseMs?: number;
  /**
   * While the destination has not answered once, how long after the first refused connection callers
   * wait before they get FERRY_ERR_DESTINATION_UNREACHABLE; once it has answered, maxPauseMs applies.
   * @default 10000
   */
  maxWaitForFirstAnswerMs?: number;
  clock?: Clock;
  observer?: HttpObserver;
  /** Names the destination in observer events. @default "destination" */
  endpoint?: string;
  /**
   * Shares the breaker with the other processes sending to the destination (workers of a cluster): one
   * outage opens it for all, and one process probes. A board that cannot be reached leaves the breaker to
   * this process alone until it can.
   */
  board?: BreakerBoard;
  /** How often the board is read: while open, and (at most) while closed. @default 500 */
  boardPollMs?: number;
}

/** Handed to a caller that may send; report the outcome exactly once. */
export interface BreakerPermit {
  /** The destination answered (any non-5xx, including 4xx). */
  success(): void;
  /** A transient failure the destination answered or half-answered: 5xx, a reset connection, a timeout. */
  failure(): void;
  /** No connection could be made (refused, unknown host, connect timeout); `reason` says which. */
  unreachable(reason: string): void;
  /** Neither (aborted, or an error that says nothing about the destination). */
  release(): void;
}

/** A circuit breaker that pauses callers while open instead of failing them. */
export interface CircuitBreaker {
  /** Waits while open; resolves when the caller may send, rejects with FERRY_ERR_CIRCUIT_OPEN past maxPauseMs. */
  acquire(signal?: AbortSignal): Promise<BreakerPermit>;
  /**
   * A permit at once while closed (and the signal has not aborted), without a promise; null means the
   * caller must go through acquire().
   */
  tryAcquire(signal?: AbortSignal): BreakerPermit | null;
  state(): BreakerState;
  /** Total ms spent open or half-open so far (monotonic); the retry layer excludes it from its budget. */
  pausedMs(): number;
}

/**
 * Creates a consecutive-failure breaker. When open, acquire() waits (the run pauses, records are not
 * failed) until halfOpenAfterMs has passed, then ONE probe goes through: success closes it, failure re-opens
 * it. A pause longer than maxPauseMs in total makes waiting callers fail with FERRY_ERR_CIRCUIT_OPEN.
 *
 * A destination that has never answered since the breaker was made (the run started) is treated apart:
 * its first refused connection opens the breaker at once, and callers fail with
 * FERRY_ERR_DESTINATION_UNREACHABLE after maxWaitForFirstAnswerMs, because a wrong URL or a service that
 * is not running will not recover within the long pause meant for an outage of a live destination.
 */
export function createCircuitBreaker(options: CircuitBreakerOptions = {}): CircuitBreaker {
  const threshold = options.consecutiveFailures ?? 10;
  const halfOpenAfterMs = options.halfOpenAfterMs ?? 5_000;
  const maxPauseMs = options.maxPauseMs ?? 600_000;
  const maxWaitForFirstAnswerMs = options.maxWaitForFirstAnswerMs ?? 10_000;
  const clock = options.clock ?? systemClock;
  const endpoint = options.endpoint ?? 'destination';

  let status: BreakerStatus = 'closed';
  let failures = 0;
  /** Permits handed out so far: a permit's number tells whether it was sent before a streak began. */
  let issued = 0;
  /** Permits handed out and not yet reported. */
  let outstanding = 0;
  /** The last permit handed out before the first failure of the current streak came back. */
  let streakSeq = 0;
  /** Permits handed out before the streak began and not yet reported: any of them may still succeed. */
  let olderOutstanding = 0;
  /** When the first failure of the current streak came back. */
  let streakSince = Number.NEGATIVE_INFINITY;
  let openedAt: number | null = null;
  let pauseStartedAt: number | null = null;
  let pausedBeforeMs = 0;
  let probeOut = false;
  let answered = false;
  /** When the first connection failed while the destination had not answered yet, and why the last one did. */
  let unanswered: { since: number; reason: string } | null = null;
  let changed: { promise: Promise<void>; resolve: () => void } = Promise.withResolvers<void>();
  const board = options.board;
  const boardPollMs = options.boardPollMs ?? 500;
  // A probe claimed on the board and never answered (its process died) frees the claim after this long.
  const probeTimeoutMs = Math.max(30_000, 6 * halfOpenAfterMs);
  let boardReadAt = Number.NEGATIVE_INFINITY;
  let boardReading = false;
  /** Publishes what this process decided; a board out of reach is logged by its owner, not here. */
  const tell = (write: (() => Promise<void>) | undefined): void => {
    void write?.().catch(() => {});
  };
  /** Reads the board (at most every boardPollMs) and follows another process's opening or closing. */
  const follow = (): void => {
    if (!board || boardReading || clock.now() - boardReadAt < boardPollMs) return;
    boardReading = true;
    boardReadAt = clock.now();
    board
      .read()
      .then(
        (open) => {
          if (open && status === 'closed') open_(false);
          else if (!open && status !== 'closed' && !probeOut) close(false);
        },
        () => {},
      )
      .finally(() => {
        boardReading = false;
      });
  };

  const setStatus = (next: BreakerStatus): void => {
    if (next === status) return;
    status = next;
    options.observer?.onBreakerState?.({
      endpoint,
      state: next,
      ...(pauseStartedAt === null ? {} : { givesUpAt: pauseStartedAt + maxPauseMs }),
    });
    changed.resolve();
    changed = Promise.withResolvers<void>();
  };
  /** Opens it; `publish` tells the board (false when following another process's opening). */
  const open_ = (publish = true): void => {
    const now = clock.now();
    openedAt = now;
    pauseStartedAt ??= now;
    probeOut = false;
    setStatus('open');
    if (publish) tell(board && (() => board.open()));
  };
  const open = (): void => open_(true);
  const close = (publish = true): void => {
    const changes = status !== 'closed';
    if (pauseStartedAt !== null) pausedBeforeMs += clock.now() - pauseStartedAt;
    pauseStartedAt = null;
    openedAt = null;
    failures = 0;
    probeOut = false;
    setStatus('closed');
    if (publish && changes) tell(board && (() => board.close()));
  };
  const circuitOpen = (): FerryError =>
    new FerryError(
      'FERRY_ERR_CIRCUIT_OPEN',
      `${endpoint}: the destination kept failing for more than ${formatDuration(maxPauseMs)} (circuit breaker open after ${threshold} consecutive failures)`,
      { details: { endpoint, maxPauseMs, consecutiveFailures: threshold } },
    );

  const neverAnswered = (): FerryError =>
    new FerryError(
      'FERRY_ERR_DESTINATION_UNREACHABLE',
      `${endpoint}: no answer since the run started (tried for ${maxWaitForFirstAnswerMs} ms; last: ${unanswered?.reason ?? 'no connection'}); check the destination URL and that the service is up`,
      { details: { endpoint, maxWaitForFirstAnswerMs } },
    );

  /**
   * Opens it once the streak is long enough and every request sent before it began has been answered: a
   * burst refused at once by a gateway's cap on connections (met by a rising concurrency limit) and its
   * retries come back before the requests sent earlier answer, and against nginx's limit_conn at 100 ms ten
   * of them came back in the 70 ms before the next success, which would have closed the breaker again: the
   * run paused 5 s on a destination answering all the while. Not longer than it would pause: requests
   * hanging on a destination that is down must not hold the breaker closed while the rest spend their
   * retries.
   */
  const openIfDue = (): void => {
    if (status !== 'closed' || failures < threshold) return;
    if (olderOutstanding === 0 || clock.now() - streakSince >= halfOpenAfterMs) open();
  };
  /**
   * A transient failure, while closed, of permit `seq`. The first starts a streak; after it only requests
   * sent once a failure was known count towards opening: a burst sent together and refused together counts
   * once.
   */
  const countFailure = (seq: number): void => {
    if (status !== 'closed') return;
    if (failures === 0) {
      streakSeq = issued;
      olderOutstanding = outstanding;
      streakSince = clock.now();
    } else if (seq <= streakSeq) return;
    failures++;
    openIfDue();
  };
  /** A permit reported, whatever its outcome: the last one out from before a streak may let it open. */
  const settle = (seq: number): void => {
    outstanding--;
    if (seq <= streakSeq && olderOutstanding > 0) olderOutstanding--;
    openIfDue();
  };

  // Closures rather than methods, so a caller may hand one on by itself; one `done` flag for all three.
  const permit = (isProbe: boolean): BreakerPermit => {
    const seq = ++issued;
    outstanding++;
    let done = false;
    return {
      success: () => {
        if (done) return;
        done = true;
        answered = true;
        // A late success from before the breaker opened says little; the probe decides.
        if (isProbe || status === 'closed') close();
        settle(seq);
      },
      failure: () => {
        if (done) return;
        done = true;
        answered = true;
        settle(seq);
        if (isProbe) open();
        else countFailure(seq);
      },
      unreachable: (reason) => {
        if (done) return;
        done = true;
        settle(seq);
        if (!answered) {
          unanswered = { since: unanswered?.since ?? clock.now(), reason };
          // One refusal is enough: other requests wait for a probe instead of spending their retries.
          if (isProbe || status === 'closed') open();
        } else if (isProbe) open();
        else countFailure(seq);
      },
      release: () => {
        if (done) return;
        done = true;
        settle(seq);
        if (isProbe && status === 'half_open') {
          probeOut = false;
          changed.resolve();
          changed = Promise.withResolvers<void>();
        }
      },
    };
  };

  /** Waits until `ms` passed, the state changed, or the signal aborted, whichever is first. */
  const waitAtMost = async (ms: number, signal?: AbortSignal): Promise<void> => {
    const controller = new AbortController();
    const watch = signal && watchAbort(signal, () => controller.abort());
    try {
      await Promise.race([clock.sleep(ms, controller.signal).catch(() => undefined), changed.promise]);
    } finally {
      controller.abort();
      watch?.cancel();
    }
    throwIfAborted(signal);
  };

  return {
    async acquire(signal) {
      for (;;) {
        throwIfAborted(signal);
        if (status === 'closed') return permit(false);
        const now = clock.now();
        const pauseDeadline = (pauseStartedAt ?? now) + maxPauseMs;
        if (now >= pauseDeadline) throw circuitOpen();
        const startupDeadline =
          answered || unanswered === null ? pauseDeadline : unanswered.since + maxWaitForFirstAnswerMs;
        // A probe still in flight may be the first answer: wait for it rather than give up under it.
        if (now >= startupDeadline && !probeOut) throw neverAnswered();
        const waitUntil = now >= startupDeadline ? pauseDeadline : Math.min(pauseDeadline, startupDeadline);
        if (status === 'open') {
          const halfOpenAt = (openedAt ?? now) + halfOpenAfterMs;
          if (now >= halfOpenAt) {
            if (board) {
              // One process probes for the cluster; the others wait for the board to close.
              const mine = await board.claimProbe(halfOpenAfterMs, probeTimeoutMs).catch(() => true);
              if (status !== 'open') continue;
              if (!mine) {
                follow();
                await waitAtMost(Math.min(boardPollMs, waitUntil - now), signal);
                continue;
              }
            }
            probeOut = true;
            setStatus('half_open');
            return permit(true);
          }
          follow();
          await waitAtMost(
            Math.min(halfOpenAt, waitUntil, now + (board ? boardPollMs : Infinity)) - now,
            signal,
          );
        } else if (!probeOut) {
          probeOut = true;
          return permit(true);
        } else {
          await waitAtMost(waitUntil - now, signal);
        }
      }
    },
    tryAcquire(signal) {
      follow();
      return status === 'closed' && !signal?.aborted ? permit(false) : null;
    },
    state: () => ({ status, openedAt, failures }),
    pausedMs: () => pausedBeforeMs + (pauseStartedAt === null ? 0 : clock.now() - pauseStartedAt),
  };
}
