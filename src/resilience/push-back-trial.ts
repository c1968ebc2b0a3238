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
  /**
   * None at all came after the cut: a cap the destination refuses past, somewhere under `limit`, where it
   * came; the cut stands. A share that only fell may be chance (a window picked for its push-back is
   * followed by fewer), and taken for a cap it held a limit under it for nothing.
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
  let trial: { from: number; before: Tally; after: Tally; drained: boolean; needed: number } | undefined;
  const none: Tally = { answers: 0, drops: 0 };
  /** The last LINGERING_WINDOWS windows judged since the last trial, while none runs. */
  let recent: Tally[] = [];
  const recentTally = (): Tally => recent.reduce(addTally, none);

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
      };
      recent = [];
    },
    /** The limit was cut for latency: push-back that came with a queue was overload. */
    abandon(): void {
      trial = undefined;
      recent = [];
    },
    /** A window judged while the trial runs. */
    feed(window: Tally): TrialVerdict {
      if (trial === undefined) return { kind: 'load' };
      if (!trial.drained) {
        trial.drained = true;
        return { kind: 'running' };
      }
      trial.after = addTally(trial.after, window);
      const { from, before, after, needed } = trial;
      if (after.answers < (after.drops === 0 ? Math.max(needed, CAP_ANSWERS) : needed))
        return { kind: 'running' };
      trial = undefined;
      if (after.drops === 0) {
        background = 0;
        return { kind: 'cap', limit: from };
      }
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
