import { type AbortWatch, watchAbort } from '../core/abort-watch.ts';
import { LEARNED_LIMIT_HEADROOM } from '../core/rate-headroom.ts';
import type { HttpObserver } from '../http/http-observer.ts';
import type { RateLimitInfo } from '../http/rate-limit-headers.ts';
import { type Clock, systemClock, throwIfAborted } from './clock.ts';

/** Settings of the client-side limiter for one destination. */
export interface AdaptiveLimiterOptions {
  /** Fixed ceiling in requests per second; 0 = none (unlimited until the destination says otherwise). @default 0 */
  requestsPerSecond?: number;
  /** Slow down on 429s and rate-limit headers and creep back up. @default true */
  adaptive?: boolean;
  /** Requests in flight at once; 0 = no cap. @default 16 */
  concurrency?: number;
  /** Share of a limit learned from headers to pace at, leaving room for clock skew. @default 0.98 */
  headroom?: number;
  /** Seconds of rate that may go out back to back after an idle spell. @default 0.02 */
  burstSeconds?: number;
  clock?: Clock;
  observer?: HttpObserver;
  /** Names the destination in observer events. @default "destination" */
  endpoint?: string;
}

/** The limiter's state as plain data, for metrics. */
export interface LimiterState {
  /** Requests per second it currently paces at (Infinity = unpaced). */
  readonly rate: number;
  /** Limit learned from the destination's headers (requests per second), Infinity when unknown. */
  readonly learnedLimit: number;
  readonly inFlight: number;
  readonly waiting: number;
  /** Epoch ms until which nothing is sent (after a 429 or an exhausted quota), 0 if not paused. */
  readonly pausedUntil: number;
}

/** What acquire() hands out: when the request left, and how to give its slot back. */
export interface LimiterPermit {
  /** Clock time the request was let through; tells a stale 429 from a fresh one. */
  readonly sentAt: number;
  /** Frees the concurrency slot; idempotent. */
  release(): void;
}

/** A token bucket whose rate changes at runtime, plus a concurrency cap. */
export interface AdaptiveLimiter {
  /** Waits for a concurrency slot and a token; call release() on the permit when the request is done. */
  acquire(signal?: AbortSignal): Promise<LimiterPermit>;
  /**
   * A permit at once, without a promise, when a slot is free with nobody queued, nothing is paused and the
   * rate is unpaced; null means the caller must go through acquire().
   */
  tryAcquire(): LimiterPermit | null;
  /** A request succeeded: creep the rate back up. */
  onSuccess(): void;
  /**
   * A 429 (or 503 with Retry-After): pause for waitMs and cut the rate, unless the request was sent
   * (sentAt) before the last cut, so one burst of 429s is one signal, not twenty.
   */
  onRateLimited(waitMs?: number, sentAt?: number): void;
  /** Rate-limit headers arrived: learn the limit, spread the remaining quota, pause at zero. */
  onQuota(info: RateLimitInfo): void;
  state(): LimiterState;
}

const MIN_RATE = 0.5;
/** Multiplicative decrease on a 429. */
const DECREASE = 0.7;
/** Without a sentAt, at most one decrease per this many ms. */
const DECREASE_COOLDOWN_MS = 500;
/** Recent answers remembered to tell a throttling destination from one with occasional 429s. */
const ANSWER_WINDOW = 50;
/** Until this many answers are known, every 429 counts as throttling (the careful default at start). */
const MIN_ANSWERS = 10;
/** Share of 429s among recent answers from which they mean "slow down, all of you". */
const THROTTLED_SHARE = 0.2;
/** Resets shorter than this are too coarse (whole seconds) to spread the remaining quota over. */
const SPREAD_MIN_RESET_MS = 3000;

/**
 * Creates an AIMD limiter. Pacing is a GCRA-style virtual schedule (each caller reserves the next slot, so
 * waiters are served in order without a polling timer). The rate: the configured ceiling, or unpaced; cut
 * by 0.7 on a 429 (once per cooldown), set from RateLimit headers (a learned per-second limit is paced at
 * `headroom` of it; over long windows the remaining quota is spread over the time to reset), and raised
 * additively on successes: quickly up to just below the rate that last drew a 429, slowly past it, never
 * above the configured or learned ceiling.
 */
export function createAdaptiveLimiter(options: AdaptiveLimiterOptions = {}): AdaptiveLimiter {
  const configured =
    options.requestsPerSecond && options.requestsPerSecond > 0 ? options.requestsPerSecond : Infinity;
  const adaptive = options.adaptive ?? true;
  const concurrency = options.concurrency && options.concurrency > 0 ? options.concurrency : Infinity;
  const headroom = options.headroom ?? LEARNED_LIMIT_HEADROOM;
  const burstSeconds = options.burstSeconds ?? 0.02;
  const clock = options.clock ?? systemClock;
  const endpoint = options.endpoint ?? 'destination';

  let rate = configured;
  let learnedLimit = Infinity;
  let failRate = Infinity;
  let lastDecreaseAt = -Infinity;
  let pausedUntil = 0;
  let tat = 0; // theoretical arrival time of the next request, in ms
  let inFlight = 0;
  // A ring of recent answers (true = 429): one 429 among many successes is an occasional refusal that its
  // own request waits out (the retry layer honours its Retry-After); pausing everyone and cutting the rate
  // for each would collapse throughput against a destination that sheds a few percent of requests.
  const answers: boolean[] = [];
  let answerIndex = 0;
  let refusals = 0;
  const remember = (refused: boolean): void => {
    if (answers.length < ANSWER_WINDOW) answers.push(refused);
    else {
      if (answers[answerIndex]) refusals--;
      answers[answerIndex] = refused;
      answerIndex = (answerIndex + 1) % ANSWER_WINDOW;
    }
    if (refused) refusals++;
  };
  const throttled = (): boolean =>
    answers.length < MIN_ANSWERS || refusals / answers.length >= THROTTLED_SHARE;
  const slotWaiters: Array<() => void> = [];
  const recentStarts: number[] = [];

  const ceiling = (): number => Math.min(configured, learnedLimit * headroom);
  const setRate = (next: number): void => {
    const bounded = Math.max(MIN_RATE, Math.min(next, ceiling()));
    if (bounded === rate) return;
    rate = bounded;
    options.observer?.onRateChange?.({ endpoint, rate });
  };

  /** Reserves the next send time under the current rate; returns when this caller may go. */
  const reserve = (now: number): number => {
    if (!Number.isFinite(rate)) return now;
    const interval = 1000 / rate;
    const burst = Math.max(1, Math.floor(rate * burstSeconds));
    const base = Math.max(tat, now);
    const goAt = Math.max(now, base - (burst - 1) * interval);
    tat = base + interval;
    return goAt;
  };

  /**
   * Until the destination first answers, an adaptive limiter sends one request alone: its RateLimit
   * headers (if any) set the pace before a burst of `concurrency` requests can overrun the quota.
   */
  let answered = !adaptive;
  const markAnswered = (): void => {
    if (answered) return;
    answered = true;
    pump();
  };
  const slotsOpen = (): boolean => inFlight < (answered ? concurrency : 1);
  function pump(): void {
    while (slotWaiters.length > 0 && slotsOpen()) slotWaiters.shift()!();
  }
  /** Takes a concurrency slot: at once (null) when one is free and nobody queues, else a promise of one. */
  const takeSlot = (signal?: AbortSignal): Promise<void> | null => {
    if (slotsOpen() && slotWaiters.length === 0) {
      inFlight++;
      return null;
    }
    return new Promise<void>((resolve, reject) => {
      let watch: AbortWatch | undefined;
      const grant = (): void => {
        watch?.cancel();
        inFlight++;
        resolve();
      };
      const onAbort = (): void => {
        const i = slotWaiters.indexOf(grant);
        if (i >= 0) slotWaiters.splice(i, 1);
        try {
          throwIfAborted(signal);
        } catch (error) {
          reject(error);
        }
      };
      slotWaiters.push(grant);
      if (signal) watch = watchAbort(signal, onAbort);
    });
  };
  const releaseSlot = (): void => {
    inFlight--;
    pump();
  };

  /** Requests per second actually sent over the last second, the base for the first cut when unpaced. */
  const observedRate = (now: number): number => {
    while (recentStarts.length > 0 && recentStarts[0]! < now - 1000) recentStarts.shift();
    const span = recentStarts.length > 0 ? Math.max(100, now - recentStarts[0]!) : 1000;
    return (recentStarts.length * 1000) / span;
  };

  /** Lets a caller holding a slot through at `now`: remembers the start and reports the wait. */
  const grant = (started: number, now: number): LimiterPermit => {
    if (adaptive && !Number.isFinite(rate)) {
      recentStarts.push(now);
      if (recentStarts.length > 10_000) recentStarts.shift();
    }
    options.observer?.onLimiterWait?.({ endpoint, waitMs: now - started });
    let released = false;
    return {
      sentAt: now,
      // A closure, not a method: callers may hand release on by itself.
      release: () => {
        if (released) return;
        released = true;
        // A request that ended without an answer (network error) must not hold the first-answer gate.
        markAnswered();
        releaseSlot();
      },
    };
  };

  return {
    async acquire(signal) {
      const started = clock.now();
      // The common case, a free slot and no pacing or pause, reads the clock once and awaits nothing more.
      const slot = takeSlot(signal);
      let now = started;
      if (slot !== null) {
        // Rejects (aborted) without a slot taken, so outside the try that gives one back.
        await slot;
        now = clock.now();
      }
      try {
        for (;;) {
          if (pausedUntil > now) {
            await clock.sleep(pausedUntil - now, signal);
            now = clock.now();
            continue;
          }
          const goAt = reserve(now);
          if (goAt <= now) break;
          await clock.sleep(goAt - now, signal);
          now = clock.now();
          // A pause that began while this caller slept wins over its reservation.
          if (pausedUntil > now) continue;
          break;
        }
      } catch (error) {
        releaseSlot();
        throw error;
      }
      return grant(started, now);
    },

    tryAcquire() {
      if (Number.isFinite(rate) || !slotsOpen() || slotWaiters.length > 0) return null;
      const now = clock.now();
      if (pausedUntil > now) return null;
      inFlight++;
      return grant(now, now);
    },

    onSuccess() {
      markAnswered();
      remember(false);
      if (!adaptive || !Number.isFinite(rate)) return;
      const cap = ceiling();
      if (rate >= cap) return;
      // Additive increase per second, spread over the successes of that second (about `rate` of them):
      // fast up to 90% of the rate that last drew a 429 (or of the known ceiling), gently past it.
      const target = Math.min(failRate, cap);
      let perSecond = Math.max(0.5, 0.02 * rate);
      // Hover just under a rate that drew a 429: probe past 97% of it only very slowly.
      if (Number.isFinite(target)) {
        if (rate < 0.9 * target) perSecond = Math.max(1, 0.1 * target);
        else if (rate < 0.97 * target || target === cap) perSecond = Math.max(0.5, 0.02 * target);
        else perSecond = Math.max(0.1, 0.003 * target);
      }
      setRate(rate + perSecond / Math.max(rate, 1));
    },

    onRateLimited(waitMs, sentAt) {
      markAnswered();
      remember(true);
      if (!throttled()) return;
      const now = clock.now();
      if (waitMs !== undefined && waitMs > 0) pausedUntil = Math.max(pausedUntil, now + waitMs);
      if (!adaptive) return;
      const stale =
        sentAt !== undefined ? sentAt < lastDecreaseAt : now - lastDecreaseAt < DECREASE_COOLDOWN_MS;
      if (stale) return;
      lastDecreaseAt = now;
      const base = Number.isFinite(rate) ? rate : Math.max(MIN_RATE, observedRate(now));
      failRate = base;
      setRate(base * DECREASE);
    },

    onQuota(info) {
      markAnswered();
      const now = clock.now();
      if (info.remaining === 0 && info.resetMs !== undefined && info.resetMs > 0)
        pausedUntil = Math.max(pausedUntil, now + info.resetMs);
      if (!adaptive) return;
      if (info.limit !== undefined && info.limit > 0) {
        // Without a stated window, assume one second: quota windows are never shorter, so limit/1 s is a
        // true upper bound; longer windows are paced by spreading `remaining` below. Guessing the window
        // from Reset values proved fragile (one edge-of-window "2" halves the rate).
        const learned = (info.limit * 1000) / (info.windowMs ?? 1000);
        if (learned !== learnedLimit) {
          learnedLimit = learned;
          if (!Number.isFinite(rate) || rate > ceiling()) setRate(ceiling());
        }
      }
      // Over long windows spread what is left evenly; over short ones whole-second resets are too coarse.
      if (
        info.remaining !== undefined &&
        info.remaining > 0 &&
        info.resetMs !== undefined &&
        info.resetMs >= SPREAD_MIN_RESET_MS
      ) {
        setRate(Math.min(configured, ((info.remaining * 1000) / info.resetMs) * headroom));
      }
    },

    state: () => ({ rate, learnedLimit, inFlight, waiting: slotWaiters.length, pausedUntil }),
  };
}
