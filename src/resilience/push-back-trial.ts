/** Answers of a stretch of requests, and how many of them pushed back (429, 503, timeouts, resets). */
export interface Tally {
  readonly answers: number;
  readonly drops: number;
}

/** What a trial concluded, once it has seen enough answers at the lower limit. */
export type TrialVerdict =
  /** Still counting: hold the limit. */
  | { readonly kind: 'running' }
  /**
   * The push-back fell with the limit, or came only to the requests that left with the most in flight: it
   * was overload, the cut stands. In the second case, a cap: requests that left with `cap` others in flight
   * were refused.
   */
  | { readonly kind: 'load'; readonly cap?: number }
  /**
   * None at all came after the cut: a cap the destination refuses past, under `limit`: where it came, or one
   * over the fewest requests in flight that a refused one left with, if that is lower; the cut stands. A
   * share that only fell may be chance (a window picked for its push-back is followed by fewer), and taken
   * for a cap it held a limit under it for nothing.
   */
  | { readonly kind: 'cap'; readonly limit: number }
  /** It did not: the destination gives it whatever the load; go back to `limit`. */
  | { readonly kind: 'background'; readonly limit: number };

/** Share of a window's answers pushed back from which the limit is cut, while no background is known. */
const OVERLOAD_SHARE = 0.1;
/**
 * A destination refusing half its requests or more is overloaded whatever a cut seemed to do: such a share is
 * never taken as its background, and the limit goes down to its min.
 */
const MAX_BACKGROUND = 0.5;
/** Answers at the lower limit a trial waits for: enough to tell a share of a tenth from one of a fifth. */
const TRIAL_ANSWERS = 40;
/**
 * A trial set against a small share waits for more: with `d` of `n` answers pushed back before the cut, none
 * of `m` after is a fall of two standard errors once m > 4n / d. At most this many, whatever the share.
 */
const MAX_TRIAL_ANSWERS = 1_000;
/**
 * Answers after the cut, none of them pushed back, that tell a cap: a destination refusing a fiftieth of its
 * requests at random gives a stretch so long once in twenty trials, and one refusing a twentieth once in two
 * thousand. After 40, a twentieth's trials found a cap one time in eight, and held its limit for nothing.
 */
const CAP_ANSWERS = 150;
/** Push-backs in the last LINGERING_WINDOWS windows that a share under a tenth needs to start a trial. */
const LINGERING_DROPS = 3;
const LINGERING_WINDOWS = 8;
/** Standard errors a share must depart by to count as a different share. */
const Z = 2;
/**
 * The chance under which push-back that did not fall with the cut is read as load all the same, when only
 * requests that left with the most in flight were refused (capShown).
 */
const AT_LOAD_CHANCE = 0.01;

const share = (t: Tally): number => (t.answers > 0 ? t.drops / t.answers : 0);
/** Two stretches of answers taken together. */
export const addTally = (a: Tally, b: Tally): Tally => ({
  answers: a.answers + b.answers,
  drops: a.drops + b.drops,
});
/** Push-backs a window of `answers` has at most, `z` standard errors above a share `p`. */
const upTo = (p: number, answers: number, z: number): number =>
  p * answers + z * Math.sqrt(answers * p * (1 - p));

/**
 * Tells push-back that follows the load (a destination refusing what it cannot take) from push-back that
 * comes whatever the load (one failing a share of requests at random), as TCP Veno tells congestion losses
 * from random ones. Cut for the second kind, a limit only shrinks window after window down to its min while
 * the refusals stay where they were. So every cut for push-back is a trial: the answers at the lower limit,
 * after one window for the destination to drain what the old limit left it, are set against those at the
 * old one. A share that did not fall (by two standard errors) is the destination's background: the limit
 * goes back, and from then on only push-back clearly above that share cuts or stops growth. A share that
 * fell was overload: the cut stands, and the background is at most what was left.
 */
export function createPushBackReader() {
  let background = 0;
  let trial:
    | {
        from: number;
        before: Tally;
        after: Tally;
        drained: boolean;
        needed: number;
        /** Requests already in flight when each counted request left, and how many of those answered or not. */
        loads: { answered: Map<number, number>; refused: Map<number, number> };
        /** The fewest requests in flight that a refused request left with, before the cut. */
        refusedFrom: number;
      }
    | undefined;
  const none: Tally = { answers: 0, drops: 0 };
  /** The last LINGERING_WINDOWS windows judged since the last trial, while none runs. */
  let recent: Tally[] = [];
  const recentTally = (): Tally => recent.reduce(addTally, none);
  /** The fewest requests in flight that a refused request left with, since the last trial, while none runs. */
  let refusedFrom = Number.POSITIVE_INFINITY;

  return {
    /** The share of answers the destination pushes back whatever the load, as learned so far. */
    background: () => background,
    /** A trial is running: the limit holds, neither cut for push-back nor raised. */
    trying: () => trial !== undefined,
    /** The window's push-back is within the background's usual spread: it does not stop growth. */
    usual: (window: Tally): boolean => window.drops <= upTo(background, window.answers, 1),
    /** The window's push-back is enough to cut for. */
    overloaded: (window: Tally): boolean =>
      window.drops >= window.answers * OVERLOAD_SHARE && window.drops > upTo(background, window.answers, Z),
    /** A window judged while no trial runs. */
    count(window: Tally): void {
      recent.push(window);
      if (recent.length > LINGERING_WINDOWS) recent.shift();
    },
    /**
     * Push-back in the last few windows from a destination that has none in the background, though no window
     * had a tenth of it: a gateway that refuses at once what passes its cap, a request or two a window, while
     * the records it refused wait out their backoff and hold the limit's other slots. Only held for, the limit
     * sat over the cap for the whole run. A few windows, not all since the last trial: a reset now and then
     * (a keep-alive connection the server closed as a request left) is no cap.
     */
    lingering: (): boolean => background === 0 && recentTally().drops >= LINGERING_DROPS,
    /** What `lingering` read: the answers a trial for it sets those after the cut against. */
    recent: recentTally,
    /** A cut for push-back from `from`, after `before` was answered at that limit: counts what follows. */
    start(from: number, before: Tally): void {
      const needed = Math.ceil((5 * before.answers) / Math.max(1, before.drops));
      trial = {
        from,
        before,
        after: none,
        drained: false,
        needed: Math.min(MAX_TRIAL_ANSWERS, Math.max(TRIAL_ANSWERS, needed)),
        loads: { answered: new Map(), refused: new Map() },
        refusedFrom,
      };
      recent = [];
      refusedFrom = Number.POSITIVE_INFINITY;
    },
    /** The limit was cut for latency: push-back that came with a queue was overload. */
    abandon(): void {
      trial = undefined;
      recent = [];
      refusedFrom = Number.POSITIVE_INFINITY;
    },
    /**
     * A counted request answered, or pushed back, that left with `held` others in flight: what tells a cap the
     * destination refuses past from push-back at random, once the counts alone do not (feed).
     */
    ended(held: number, refused: boolean): void {
      if (trial === undefined && refused) refusedFrom = Math.min(refusedFrom, held);
      if (!trial?.drained) return;
      const counts = refused ? trial.loads.refused : trial.loads.answered;
      counts.set(held, (counts.get(held) ?? 0) + 1);
    },
    /** A window judged while the trial runs. */
    feed(window: Tally): TrialVerdict {
      if (trial === undefined) return { kind: 'load' };
      if (!trial.drained) {
        trial.drained = true;
        return { kind: 'running' };
      }
      trial.after = addTally(trial.after, window);
      const { from, before, after, needed, loads, refusedFrom: capAt } = trial;
      if (after.answers < (after.drops === 0 ? Math.max(needed, CAP_ANSWERS) : needed))
        return { kind: 'running' };
      trial = undefined;
      if (after.drops === 0) {
        background = 0;
        return { kind: 'cap', limit: Math.min(from, capAt + 1) };
      }
      const both = addTally(before, after);
      const pooled = share(both);
      const error = Math.sqrt(pooled * (1 - pooled) * (1 / before.answers + 1 / after.answers));
      const fell = share(before) - share(after) > Z * error;
      // A cut by a quarter from twice a cap leaves a third refused where a half was: on 40 answers no fall of
      // two standard errors, and taken as a background it left the limit over the cap for the rest of the run.
      const cap = capShown(loads);
      if (fell || pooled >= MAX_BACKGROUND || cap !== undefined) {
        background = Math.min(background, share(after));
        return cap === undefined ? { kind: 'load' } : { kind: 'load', cap };
      }
      background = pooled;
      return { kind: 'background', limit: from };
    },
  };
}

/** In flight when requests left: how many of those answered, how many were refused, at each count. */
interface Loads {
  readonly answered: ReadonlyMap<number, number>;
  readonly refused: ReadonlyMap<number, number>;
}

/**
 * The cap the counts show, if they show one: the fewest others in flight that a refused request left with.
 * A cap refuses exactly the requests that leave with it full: every refused request left with at least as
 * many others in flight as any answered one, which refusals at random whatever the load rarely do (under
 * AT_LOAD_CHANCE). Not the chance alone: against nginx refusing an eighth at random, the refused requests of
 * one trial left with more in flight than most answered ones did, far past chance, though some answered
 * ones left with as many (docs/performance.md, the thirteenth stop).
 */
function capShown(loads: Loads): number | undefined {
  if (loads.refused.size === 0) return undefined;
  const lowestRefused = Math.min(...loads.refused.keys());
  const highestAnswered = Math.max(0, ...loads.answered.keys());
  const shown = highestAnswered <= lowestRefused && chanceRefusedOnlyAtLoad(loads) < AT_LOAD_CHANCE;
  return shown ? lowestRefused : undefined;
}

/**
 * How likely it is that requests refused at random whatever the load would all have left with at least as
 * many others in flight as the least loaded of the refused ones did: the chance that a random pick of that
 * many requests among all the counted ones has its lowest count that high. Low where a cap refuses exactly
 * those that leave with it full; near one where push-back comes at random.
 */
export function chanceRefusedOnlyAtLoad(loads: Loads): number {
  if (loads.refused.size === 0) return 1;
  const lowest = Math.min(...loads.refused.keys());
  let refused = 0;
  for (const n of loads.refused.values()) refused += n;
  let all = refused;
  let atLeastLowest = refused;
  for (const [held, n] of loads.answered) {
    all += n;
    if (held >= lowest) atLeastLowest += n;
  }
  let chance = 1;
  for (let i = 0; i < refused; i++) chance *= (atLeastLowest - i) / (all - i);
  return chance;
}
