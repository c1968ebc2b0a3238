/** Answers of a stretch of requests, and how many of them pushed back (429, 503, timeouts, resets). */
export interface Tally {
  readonly answers: number;
  readonly drops: number;
}

/** What a trial concluded, once it has seen enough answers at the lower limit. */
export type TrialVerdict =
  /** Still counting: hold the limit. */
  | { readonly kind: 'running' }
  /** The push-back fell with the limit: it was overload, the cut stands. */
  | { readonly kind: 'load' }
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
/** Standard errors a share must depart by to count as a different share. */
const Z = 2;

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
  let trial: { from: number; before: Tally; after: Tally; drained: boolean } | undefined;

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
    /** A cut for push-back from `from`, after `before` was answered at that limit: counts what follows. */
    start(from: number, before: Tally): void {
      trial = { from, before, after: { answers: 0, drops: 0 }, drained: false };
    },
    /** The limit was cut for latency: push-back that came with a queue was overload. */
    abandon(): void {
      trial = undefined;
    },
    /** A window judged while the trial runs. */
    feed(window: Tally): TrialVerdict {
      if (trial === undefined) return { kind: 'load' };
      if (!trial.drained) {
        trial.drained = true;
        return { kind: 'running' };
      }
      trial.after = addTally(trial.after, window);
      if (trial.after.answers < TRIAL_ANSWERS) return { kind: 'running' };
      const { from, before, after } = trial;
      trial = undefined;
      const both = addTally(before, after);
      const pooled = share(both);
      const error = Math.sqrt(pooled * (1 - pooled) * (1 / before.answers + 1 / after.answers));
      const fell = share(before) - share(after) > Z * error;
      if (fell || pooled >= MAX_BACKGROUND) {
        background = Math.min(background, share(after));
        return { kind: 'load' };
      }
      background = pooled;
      return { kind: 'background', limit: from };
    },
  };
}
