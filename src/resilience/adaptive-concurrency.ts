import type { ConcurrencyLimit } from '../core/concurrency-limit.ts';
import { addTally, createPushBackReader, type Tally } from './push-back-trial.ts';
import { createStepMembers } from './step-members.ts';

/** Why the limit moved. */
export type LimitChangeReason =
  /** Raised: the latency stayed flat. */
  | 'probe'
  /** Cut: the latency rose. */
  | 'latency'
  /** Cut: the destination pushed back. */
  | 'overload'
  /** Halved for one window to measure the round trip without a queue, or restored after it. */
  | 'baseline'
  /** Restored: the push-back did not fall with the cut, so it comes whatever the load (src/resilience/push-back-trial.ts). */
  | 'background';

/** Settings of an adaptive concurrency limit. */
export interface AdaptiveConcurrencyOptions {
  readonly initial: number;
  readonly min: number;
  readonly max: number;
  /** Monotonic milliseconds. @default performance.now */
  readonly now?: () => number;
  /**
   * Shortest window of answers judged together, in ms; a window also lasts two round trips. A steady window
   * of a few round trips is judged after half of it (EARLY_ERROR_SHARE). @default 100
   */
  readonly minWindowMs?: number;
  /** Told each change, with its reason. */
  readonly onChange?: (event: { readonly limit: number; readonly reason: LimitChangeReason }) => void;
  /**
   * The wait this process added to the answers since the last call, in ms on average (an event loop busy
   * with other work, a process without a core: src/resilience/loop-delay.ts): taken off each window's round
   * trip, so the limit follows the destination, not the client. @default none
   */
  readonly clientDelay?: () => number;
  /**
   * The share of the time since the last call that this process waited for a core (src/resilience/core-wait.ts),
   * undefined where unknown. Under LOADED_SHARE the slow start goes on through a round trip that rises a little
   * with load; over it, the window holds the slow start. @default unknown: neither
   */
  readonly coreWait?: () => number | undefined;
}

/** How one request ended, as the limit reads it. */
export type RequestOutcome =
  /** An answer: its round trip is a latency sample. */
  | 'answered'
  /** The destination pushed back: a 429, a 503, a timeout, a reset. */
  | 'overloaded'
  /** An answer whose round trip is not judged (a lookup among writes): it only counted as in flight. */
  | 'unmeasured'
  /** Tells nothing about load (aborted by the run). */
  | 'ignored';

/** A request let out: when, and how many were in flight already. */
export interface RequestTicket {
  readonly at: number;
  readonly held: number;
}

/** An adaptive limit, fed by the requests it lets out. */
export interface AdaptiveConcurrency extends ConcurrencyLimit {
  /** A request leaves; pass what it returns to `finish`. */
  start(): RequestTicket;
  finish(ticket: RequestTicket, outcome: RequestOutcome): void;
  /** The controller's state as plain data, for tests and logs. */
  state(): {
    readonly limit: number;
    readonly inFlight: number;
    readonly baselineMs: number;
    readonly slowStart: boolean;
  };
}

/** Answers a window needs before it is judged. */
const MIN_SAMPLES = 5;
/**
 * How long a baseline is trusted. A limit held just past the capacity keeps a small queue at the destination
 * in every window, so no window measures the round trip without one; after this long the limit is halved for
 * one window to drain that queue and measure it again (as BBR's ProbeRTT does, every 10 s), else a baseline
 * drifting up with the queue would let the limit creep ever higher.
 */
const BASELINE_TTL_MS = 10_000;
/** How long growth stays under a cap a trial found (push-back that stopped below it); then it probes past it. */
const CEILING_TTL_MS = 10_000;
/**
 * Growth per window while the slow start lasts, of the requests the destination held: from a load at its
 * capacity, where the latency is still flat, it cannot reach twice the capacity, where servers refuse.
 */
const SLOW_START_GROWTH = 1.5;
/**
 * Growth per window after the slow start, while the latency stays flat (no queue at the destination at all):
 * a limit cut early, by a noisy window or a destination busy for a moment, climbs back in a few windows
 * instead of one request a window. One window past the capacity is then cut back to it.
 */
const PROBE_GROWTH = 1.25;
/**
 * A share of its time waiting for a core past which the client reads answers late enough to hide a queue:
 * between what quiet runs and runs beside a load on every core waited (docs/performance.md, the eighth stop).
 */
const LOADED_SHARE = 0.15;
/**
 * While the client has its core, a slow start reads a round trip up to this share over the baseline as flat:
 * a destination's own event loop adds that much as its load rises, long before its workers queue. A share,
 * not HyStart++'s 4 ms floor, which is most of the round trip of a 5 ms destination.
 */
const NEARLY_FLAT_SHARE = 0.2;
/**
 * A window whose mean round trip is known to within EARLY_ERROR_SHARE, and which the shortest window would
 * hold for EARLY_ROUND_TRIPS round trips or fewer, is judged after half the shortest window: against a 20 ms
 * destination the slow start's seven steps by a quarter, from 16 to 64, took most of a 2 s run at 100 ms
 * each, and a window of 50 ms knew its mean to 0.6 to 2.3 % there. After the slow start too: a limit cut
 * there climbs back twice as fast, and of 40 runs of the 20 ms job the median took 2.04 s instead of 2.10,
 * a quarter over 2.10 instead of 2.21 (docs/performance.md, the tenth stop). One whose round trips vary
 * sixfold waits the whole window, whose mean the longer wait steadies. A faster destination already gets
 * five round trips or more a window, and at 5 ms, where a queue hides behind the time spent outside the
 * workers, steps twice as often took 16 workers to 31 and 32 in flight (docs/performance.md, the ninth stop).
 */
const EARLY_ERROR_SHARE = 1 / 32;
const EARLY_ROUND_TRIPS = 5;
/**
 * A share of the round trip past which the client's own wait in the first window, with its core, is its
 * start-up (13 to 33 % in the 20 ms traces, at most 5 % in any later window: docs/performance.md).
 */
const START_UP_SHARE = 0.1;
/** Multiplicative cut on overload. */
const OVERLOAD_DECREASE = 0.75;
/**
 * The cut for push-back that no window had a tenth of: a request or two over a cap, which a tenth takes
 * back, as Netflix's concurrency-limits backs off by 0.9 on a drop.
 */
const LINGERING_DECREASE = 0.9;

/**
 * A windowed Vegas-style limit (after Netflix's concurrency-limits: VegasLimit over a WindowedLimit), with a
 * slow start. A window lasts at least two round trips and judges the mean round trip of the requests sent
 * under the limit in force. A cut answers to it less the wait the client itself added (`clientDelay`: its
 * event loop busy reading pages, mapping, writing the ledger, or without a core on a loaded machine), which
 * is no queue at the destination; growth answers to it as measured, so a client too busy to gain from more
 * requests holds its limit instead of cutting or raising it. The no-load round trip is the lowest window's
 * (plus its standard error, with the client's core), measured again every 10 s (BASELINE_TTL_MS). From a
 * window's round trip the queue the limit builds at the destination is estimated as
 * `held × (1 − baseline / rtt)`, `held` being the mean of the requests in flight over the window: at most
 * alpha / 2 (the latency flat) and the limit grows by half while the slow start lasts, by a quarter after;
 * at most alpha (2·log10 limit), by log10 limit; past beta (5·log10 limit) it is cut by that queue less
 * alpha (at most by half). A window with a tenth of its requests pushed back (429, 503, timeouts) cuts it
 * by a quarter, as a trial that tells overload from push-back the destination gives whatever the load
 * (src/resilience/push-back-trial.ts), as do three push-backs in a few windows from a destination with no
 * background; one with more push-back than that background never raises it; after a trial that found a cap
 * (none at all refused below it) growth stays under it, a request a window at most, for 10 s, and under the
 * fewest requests in flight that a refused one left with (`start` counts them); a trial whose refusals all
 * came to the requests that left with the most in flight cuts it straight to that count; one
 * that did not fill half the limit says nothing about it. Where the kernel says how long the client waited
 * for a core (`coreWait`), a window in which that wait hides a queue (LOADED_SHARE) holds the slow start,
 * short of a queue past beta; with the core, the slow start answers to the round trip less the client's
 * own wait, reads up to a fifth over the baseline as flat (NEARLY_FLAT_SHARE), steps by a quarter, and takes
 * back a step whose window reads a queue: at once after a window that had risen already, else once the
 * next reads one too.
 */
export function createAdaptiveConcurrency(options: AdaptiveConcurrencyOptions): AdaptiveConcurrency {
  const now = options.now ?? (() => performance.now());
  const minWindowMs = options.minWindowMs ?? 100;
  const min = Math.max(1, Math.floor(options.min));
  const max = Math.max(min, Math.floor(options.max));
  const clamp = (value: number) => Math.min(max, Math.max(min, value));
  let limit = clamp(options.initial);
  let published = Math.floor(limit);
  let slowStart = true;
  let inFlight = 0;
  const listeners = new Set<(limit: number) => void>();

  let windowStart = now();
  let opened = false;
  let filled = false;
  // The window's round trips, summed.
  let samples = 0;
  let rttSum = 0;
  let rttSquares = 0;
  let fastest = Number.POSITIVE_INFINITY;
  let drops = 0;
  let peakInFlight = 0;
  // Requests in flight integrated over the window's time: its mean is what the destination really held.
  let inFlightArea = 0;
  let lastCount = windowStart;
  const count = (at: number): void => {
    inFlightArea += inFlight * (at - lastCount);
    lastCount = at;
  };
  let baseline = Number.POSITIVE_INFINITY;
  let baselineSince = windowStart;
  /** A window was judged against the baseline: whatever follows is past the start-up. */
  let startUpJudged = false;
  /** Judged windows in a row whose latency read flat. */
  let flatWindows = 0;
  /** The limit before the last raise. */
  let stepFrom: number | undefined;
  /** The last raise was a slow-start step by a quarter (the client with its core): the next window judges it. */
  let quarterStep = false;
  /**
   * The last window read a queue after a step (or, for a step judged on its own requests, was read late): held
   * one window more before it is taken back.
   */
  let stepDoubted = false;
  /**
   * A step judged on its own requests was held so. Once a slow start: the five or so requests it is judged on
   * read little against noise, and a slow start that held a second time took 16 workers at 60 ms past 32 on
   * fake time (answers up to 60 ms late, the client waiting for a core in every other window).
   */
  let doubtSpent = false;
  /** The window the last step was taken from read flat by Vegas's rule, not just nearly flat. */
  let stepFromFlat = false;
  /** The round trip, as measured, of the last window judged on latency. */
  let previousRaw: number | undefined;
  /** While the limit is halved to measure the baseline: the limit to go back to. */
  let restoreTo: number | undefined;
  const pushBack = createPushBackReader();
  /** Answers judged since the limit last changed: what a trial sets the answers after a cut against. */
  let sinceChange: Tally = { answers: 0, drops: 0 };

  // Requests sent before the limit last changed tell of the old limit, not this one: left out.
  let epoch = Number.NEGATIVE_INFINITY;
  /**
   * Against a destination slow enough that two round trips outlast the shortest window, a slow-start step
   * is judged on its own requests, those sent in its first quarter round trip (src/resilience/step-members.ts).
   */
  const members = createStepMembers(MIN_SAMPLES);
  /** The mean round trip of the last window judged, as measured. */
  let lastMean = 0;
  const newWindow = (at: number): void => {
    windowStart = at;
    members.open(at, slowStart && 2 * lastMean > minWindowMs ? lastMean / 4 : 0);
    samples = 0;
    rttSum = 0;
    rttSquares = 0;
    fastest = Number.POSITIVE_INFINITY;
    drops = 0;
    peakInFlight = inFlight;
    inFlightArea = 0;
    lastCount = at;
  };

  /**
   * The limit at which push-back came that stopped below it (a trial's verdict: a cap), and when. Growth stops
   * one short of it for CEILING_TTL_MS, as TCP's ssthresh and CUBIC's plateau keep a window off the level
   * that last lost packets: against a gateway that refuses at once what passes its cap, with no latency to
   * warn of it, each step back over the cap cost a burst of refusals and a cut by a quarter. Then it probes
   * past it a request a window, until a step past it: a step by a quarter from the ceiling of HAProxy's
   * maxconn 24 took 24 to 30, and the cut for the burst of 503s that followed ended as a background.
   */
  let ceiling = Number.POSITIVE_INFINITY;
  let ceilingSince = Number.NEGATIVE_INFINITY;
  const raise = (next: number, at: number): void => {
    // Past the ceiling by a step without push-back: the destination takes more now, and growth is free again.
    if (limit >= ceiling * PROBE_GROWTH) ceiling = Number.POSITIVE_INFINITY;
    const under = at - ceilingSince < CEILING_TTL_MS ? ceiling - 1 : Number.POSITIVE_INFINITY;
    const step = ceiling < Number.POSITIVE_INFINITY ? Math.min(next, limit + 1, under) : next;
    set(Math.max(limit, step), 'probe');
  };

  const set = (next: number, reason: LimitChangeReason): void => {
    limit = clamp(next);
    const whole = Math.floor(limit);
    if (whole === published) return;
    published = whole;
    epoch = now();
    sinceChange = { answers: 0, drops: 0 };
    options.onChange?.({ limit: whole, reason });
    for (const listener of listeners) listener(whole);
  };

  /**
   * Judges a window: `lessOwn` is its round trip less the client's own wait (what a cut answers to), `raw` the
   * round trip as measured (what growth answers to: a wait taken off that was in truth the destination's
   * must never read as room to grow), `fastest` its quickest answer.
   */
  const judge = (
    lessOwn: number | undefined,
    raw: number,
    fastest: number,
    error: number,
    at: number,
    heldMean: number,
    stepped: boolean,
  ): void => {
    const inSlowStart = slowStart;
    const judgesQuarterStep = quarterStep;
    quarterStep = false;
    const doubted = stepDoubted;
    stepDoubted = false;
    const waitedForCore = options.coreWait?.();
    const ownCore = waitedForCore !== undefined && waitedForCore < LOADED_SHARE;
    const readLate = waitedForCore !== undefined && !ownCore;
    // In a slow start with the core, the client's wait is mostly its start-up, which held some answers long
    // and others not at all: taken off whole, it put a 20 ms destination's baseline under every answer it
    // gave, and its usual round trip then read as a queue that ended the slow start at 16 (docs/performance.md,
    // the ninth stop). So never under the window's fastest answer. Not without the core: a client that waits
    // evenly holds every answer, the fastest too.
    const rtt = lessOwn !== undefined && ownCore && slowStart ? Math.max(lessOwn, fastest) : lessOwn;
    // With its core, the client's own wait is its start-up and its work between requests, no queue anywhere:
    // the slow start answers to the round trip less it, or the first window, read while the process was still
    // compiling its code, ends it (as it did in every CLI run traced, docs/performance.md).
    const grownOn = ownCore && slowStart && rtt !== undefined ? rtt : raw;
    const window: Tally = { answers: samples + drops, drops };
    sinceChange = addTally(sinceChange, window);
    if (restoreTo !== undefined) {
      const previous = restoreTo;
      restoreTo = undefined;
      if (rtt !== undefined && drops === 0) {
        baseline = rtt + (ownCore ? error : 0);
        baselineSince = at;
      }
      set(previous, 'baseline');
      return;
    }
    if (pushBack.trying()) {
      const verdict = pushBack.feed(window);
      if (verdict.kind === 'background') {
        set(verdict.limit, 'background');
        return;
      }
      if (verdict.kind === 'cap') {
        ceiling = verdict.limit;
        ceilingSince = at;
      }
      if (verdict.kind === 'load' && verdict.cap !== undefined) {
        // Refused past `cap` in flight: no need to find it a quarter at a time, a trial of a second or more
        // each against a slow destination, while the limit stays over it.
        ceiling = verdict.cap + 1;
        ceilingSince = at;
        if (limit > verdict.cap) {
          set(verdict.cap, 'overload');
          return;
        }
      }
    } else {
      pushBack.count(window);
      const overloaded = pushBack.overloaded(window);
      if (overloaded || pushBack.lingering()) {
        slowStart = false;
        flatWindows = 0;
        const before = overloaded ? sinceChange : pushBack.recent();
        const from = limit;
        const was = published;
        // Past a known ceiling the limit only climbed a request a window: a tenth takes that back. Elsewhere
        // it may have stepped by a quarter or half past a cap, and a tenth left it over, where the refusals
        // did not fall with the cut and read as a background.
        const nearCeiling = ceiling < Number.POSITIVE_INFINITY && limit <= ceiling * PROBE_GROWTH;
        set(limit * (overloaded || !nearCeiling ? OVERLOAD_DECREASE : LINGERING_DECREASE), 'overload');
        if (published < was) pushBack.start(from, before);
        return;
      }
    }
    const pushedBack = !pushBack.usual(window);
    if (pushedBack) slowStart = false;
    if (rtt === undefined) return;
    // Lower by more than the nanoseconds a stamp moves (start()): a new low, which the baseline's age restarts.
    // A window's mean is known to within its standard error, and the lowest of many is that much under the
    // true round trip: against a destination answering in 10 to 60 ms, a lucky window's mean held every later
    // one as a queue and the limit at 25 where 128 workers waited. Only with its core: on a loaded machine the
    // higher baseline read 1.5 K as flat and the next step went to 1.9 K. Nor the first window's, whose error
    // is the start-up's: taken as the baseline, it read a 5 ms destination's queue as flat.
    const margin = ownCore && Number.isFinite(baseline) ? error : 0;
    // With its core, a first window in which the client's own wait was a tenth of the round trip or more is
    // its start-up: its fastest answers came from a destination that had little else to do, 20.2 to 20.9 ms
    // from one that then answered in 22 to 24 without a queue, and against that baseline one 20 ms run in ten
    // held its limit at 21 to 39 for a second or more (docs/performance.md, the tenth stop). So the next window
    // sets the baseline, and the limit waits for it. Only the first: against a 5 ms destination every window's
    // own wait is that share of its round trip.
    const startUp =
      !startUpJudged && ownCore && lessOwn !== undefined && raw - lessOwn >= raw * START_UP_SHARE;
    startUpJudged = true;
    if (!startUp && rtt + margin < baseline - 1e-3) {
      baseline = rtt + margin;
      baselineSince = at;
    }
    if (!Number.isFinite(baseline)) return;
    if (at - baselineSince >= BASELINE_TTL_MS && limit / 2 >= min && !pushBack.trying()) {
      restoreTo = limit;
      set(limit / 2, 'baseline');
      return;
    }
    // A window that never filled half the limit did not test it.
    if (peakInFlight < limit / 2) return;
    const log = Math.log10(Math.max(limit, 10));
    const alpha = 2 * log;
    const beta = 5 * log;
    // Records between their requests (mapping, the ledger, a lookup's answer read) hold the limit but not
    // the destination: the queue is estimated from the requests it really held.
    const queue = heldMean * (1 - baseline / rtt);
    const rawQueue = heldMean * (1 - baseline / grownOn);
    // The round trip rose from the last window by an eighth (4 to 16 ms), as HyStart++ ends a TCP slow
    // start: a queue forming, even where a baseline taken while both ends were still warming up is too
    // high to show it.
    const rising = previousRaw !== undefined && grownOn >= previousRaw + hystartRise(previousRaw);
    previousRaw = grownOn;
    const flat = stepped || rawQueue <= Math.max(alpha / 2, heldMean * FLAT_SHARE);
    const nearlyFlat = slowStart && ownCore && grownOn < baseline * (1 + NEARLY_FLAT_SHARE);
    // Answers read late hide a queue: a window at 1.5 K whose third is answers waiting to be read looked flat,
    // and the slow start's next step passed 2K (the loaded-machine test in adaptive-concurrency.test.ts). So
    // such a window never raises the limit, and short of a queue past beta it holds the slow start, for the
    // next window with the core to judge: ended instead, it left the limit at 20 to 39 against K = 64, where
    // two busy cores held the client for a window or two (docs/performance.md, the ninth stop). A step judged
    // on its own requests (below) is held so once, and ends the slow start if the next window is read late too.
    // After the slow start, only a queue past beta moves the limit of a window read late (a cut).
    if (readLate && queue <= beta) {
      if (slowStart && !(stepped && doubtSpent)) {
        quarterStep = judgesQuarterStep;
        stepDoubted = doubted || stepped;
        doubtSpent ||= stepped;
      } else slowStart = false;
      return;
    }
    if (readLate) slowStart = false;
    const risen = stepped && !pushedBack && rtt >= baseline + hystartRise(baseline);
    if (risen && !doubtSpent && queue <= beta) {
      // A rise short of beta is confirmed by a second window at this limit before it ends the slow start, as
      // HyStart++'s conservative slow start (RFC 9406) confirms one. Against a 100 ms destination, a client
      // still compiling its code a second after its launch made a step's requests answer 9 to 21 ms late, or
      // waited for a core through the step's window, and 3 runs in 10 to 7 in 8 ended their slow start at 16
      // to 31 (docs/performance.md, the eleventh stop).
      stepDoubted = true;
      doubtSpent = true;
    } else if (risen) {
      // A step judged on its own requests ends the slow start as HyStart++ (RFC 9406) ends TCP's: a round
      // trip an eighth (4 to 16 ms) over the lowest. Back to what the destination held without the queue,
      // never under the limit before the step: the step's requests took the new slots and are the ones that
      // queued, so their round trip overstates the queue.
      slowStart = false;
      pushBack.abandon();
      set(Math.max(stepFrom ?? limit / 2, (limit * baseline) / rtt), 'latency');
    } else if (queue > beta) {
      slowStart = false;
      // Push-back that came with a queue was overload, whatever the trial would have found.
      pushBack.abandon();
      set(Math.max(limit / 2, limit - queue + alpha), 'latency');
    } else if (pushedBack || pushBack.trying()) {
      // Push-back above the background, not enough to cut, or a trial counting: hold.
    } else if (judgesQuarterStep && !flat && !nearlyFlat) {
      if (!doubted && stepFromFlat) {
        // A queue, or both ends still warming up: a second window at this limit tells, as HyStart++'s
        // conservative slow start (RFC 9406) confirms a rise before it leaves the slow start. Taken back at
        // once, a 20 ms destination that answered in 25 ms for one window left the limit at 16. Only after a
        // flat window: after one that rose already, the queue is growing, and held there a window more, a
        // 5 ms destination of 16 workers got 32 in flight and answered 503 (docs/performance.md, the ninth stop).
        stepDoubted = true;
        quarterStep = true;
      } else {
        // The step built a queue: back to what the destination held without it, never under the limit
        // before. Held in Vegas's band instead, a capacity of 16 kept 1.4 times itself.
        slowStart = false;
        set(Math.max(stepFrom ?? limit / 2, (limit * baseline) / grownOn), 'latency');
      }
    } else if (flat || nearlyFlat) {
      // A slow start that ended in this window read the ones before by its own rules, not by the flat rule.
      if (inSlowStart && !slowStart) flatWindows = 0;
      flatWindows++;
      if (rising) slowStart = false;
      // After the slow start, only a second flat window in a row multiplies: the window after a cut drains
      // the queue the cut was for, and reads flat without telling anything of the capacity.
      // With its core the slow start steps by a quarter (a step judged on its own requests excepted): a window
      // reads flat while the client holds a third of what the limit holds, answers read and records mapped,
      // and a step by half from there took a 5 ms destination of 16 workers past 32.
      quarterStep = !rising && slowStart && ownCore && !stepped;
      stepFromFlat = flat;
      // A step judged on its own requests goes on by a quarter where their round trip rose by half of what
      // ends the slow start, or after it was held for a second window: a few of its requests read the queue
      // of a step past the capacity as nearly flat, and against 64 workers at 100 ms a step by half from 84
      // in flight took the limit to 126.
      const nearlyRisen = stepped && (doubted || rtt >= baseline + hystartRise(baseline) / 2);
      const growth = rising
        ? undefined
        : quarterStep || nearlyRisen
          ? PROBE_GROWTH
          : slowStart
            ? SLOW_START_GROWTH
            : flatWindows >= 2
              ? PROBE_GROWTH
              : undefined;
      stepFrom = limit;
      // By a share of what the destination held, not of the limit: records between requests do not reach it.
      if (growth === undefined) raise(limit + log, at);
      else raise(Math.min(limit * growth, limit + heldMean * (growth - 1) + 1), at);
      return;
    } else if (rawQueue <= alpha) {
      slowStart = false;
      raise(limit + log, at);
    } else slowStart = false;
    flatWindows = 0;
  };

  return {
    max,
    adaptive: true,
    current: () => published,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    start() {
      // Sent in the same clock reading as the last change or window opened, but after it: stamped a
      // nanosecond later, so it is still told apart from those sent before.
      let at = now();
      const boundary = Math.max(epoch, windowStart);
      if (at <= boundary) at = boundary + 1e-6;
      // The first window opens with the first request, and again once the limit first fills: the time before
      // (start-up, the first page read, the pipeline filling) held less than the limit, and counted in, it
      // made a full limit look like a few requests held, and the slow start's first step a small one.
      if (!opened) {
        opened = true;
        newWindow(at);
      }
      count(at);
      inFlight++;
      if (!filled && inFlight >= published) {
        filled = true;
        // Answers before the limit filled (the rate limiter sends one request alone until the destination
        // first answers) tell its round trip: against a slow destination the window that opens now is judged,
        // as a step is, on the requests that fill the limit, once they answer, instead of over two round trips.
        if (samples > 0) lastMean = rttSum / samples;
        newWindow(at);
        members.adopt(inFlight - 1);
      }
      members.sent(at);
      if (inFlight > peakInFlight) peakInFlight = inFlight;
      return { at, held: inFlight - 1 };
    },
    finish(ticket, outcome) {
      const startedAt = ticket.at;
      const at = now();
      count(at);
      inFlight--;
      const isMember = members.ended(startedAt);
      const stepped = members.active();
      const counted =
        outcome !== 'ignored' && outcome !== 'unmeasured' && startedAt > epoch && (!stepped || isMember);
      if (counted) pushBack.ended(ticket.held, outcome === 'overloaded');
      if (counted && outcome === 'overloaded') drops++;
      else if (counted) {
        samples++;
        rttSum += at - startedAt;
        rttSquares += (at - startedAt) ** 2;
        fastest = Math.min(fastest, at - startedAt);
      }
      const membersIn = members.allIn(at);
      if (membersIn && samples + drops < MIN_SAMPLES) members.more(samples + drops);
      // Judged on a counted answer; while members are judged, on any (the last member may answer before
      // the shortest window is over, or be lost).
      if (!counted && !stepped) return;
      const mean = samples > 0 ? rttSum / samples : 0;
      const elapsed = at - windowStart;
      const shortest = mean * EARLY_ROUND_TRIPS >= minWindowMs ? minWindowMs / 2 : minWindowMs;
      if (samples + drops < MIN_SAMPLES || elapsed < shortest) return;
      // Members all answered, or two round trips, as every other window.
      if (!membersIn && elapsed < 2 * (stepped ? Math.max(mean, lastMean) : mean)) return;
      const variance = samples > 1 ? Math.max(0, rttSquares / samples - mean * mean) : 0;
      const error = samples > 1 ? Math.sqrt(variance / (samples - 1)) : 0;
      if (elapsed < minWindowMs && error > mean * EARLY_ERROR_SHARE) return;
      lastMean = mean;
      // A window where the client's own wait was half the round trip or more tells nothing of the
      // destination's latency (only of its push-back).
      const own = options.clientDelay?.() ?? 0;
      const rtt = samples > 0 && own < mean / 2 ? mean - own : undefined;
      judge(rtt, mean, fastest, error, at, inFlightArea / Math.max(1e-9, at - windowStart), stepped);
      newWindow(at);
    },
    state: () => ({ limit: published, inFlight, baselineMs: baseline, slowStart }),
  };
}

/**
 * A round trip within this share of the baseline reads as flat, whatever Vegas's alpha says: on a busy
 * machine the destination's event loop adds that much jitter without any queue of ours, and read as a
 * queue it ended the slow start at a fraction of the capacity.
 */
const FLAT_SHARE = 0.05;

/** The rise over a round trip that ends a slow start, as HyStart++ (RFC 9406) has it: an eighth, 4 to 16 ms. */
function hystartRise(rtt: number): number {
  return Math.min(16, Math.max(4, rtt / 8));
}
