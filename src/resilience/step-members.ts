/**
 * The requests a slow-start step is judged on: those sent in the first `span` ms after the step (and at
 * least `atLeast` of them), or those that first filled the limit (`adopt`), once every one has answered.
 * Those sent as the limit rose met the load it set, the queued ones among them included, so a step is judged
 * a round trip after it instead of two; ending a window on its first answers instead read a queue forming
 * as flat, since its quickest requests answer first. Requests are told apart by their stamps, which strictly
 * increase.
 */
export function createStepMembers(atLeast: number) {
  let span = 0;
  let openedAt = 0;
  /** Members are the requests stamped after `from`, up to `last`. */
  let from = Number.NEGATIVE_INFINITY;
  let last = from;
  /** The stamp of the last request sent, member or not. */
  let lastSent = from;
  let sent = 0;
  let out = 0;
  /** No request sent from `at` on joins: the span is over and enough were sent. */
  const closed = (at: number): boolean => sent >= atLeast && at - openedAt > span;

  return {
    /** Whether a step is being judged on members (span > 0), or on every answer. */
    active: () => span > 0,
    /** A new window at `at`: members over `span` ms, 0 for none. */
    open(at: number, spanMs: number): void {
      span = spanMs;
      openedAt = at;
      from = at;
      last = at;
      sent = 0;
      out = 0;
    },
    /** A request stamped `at` leaves. */
    sent(at: number): void {
      lastSent = at;
      if (span === 0 || at <= from || closed(at)) return;
      last = at;
      out++;
      sent++;
    },
    /** The `count` requests already out when the window opened are members too (with members at all). */
    adopt(count: number): void {
      if (span === 0) return;
      from = Number.NEGATIVE_INFINITY;
      out += count;
      sent += count;
    },
    /** A request stamped `startedAt` ended: whether it was a member. */
    ended(startedAt: number): boolean {
      const member = span > 0 && startedAt > from && startedAt <= last;
      if (member) out--;
      return member;
    },
    /** Every member has answered and no more will join. */
    allIn: (at: number): boolean => span > 0 && out === 0 && closed(at),
    /** The members answered with too few measured (lookups, aborted ones): those sent from now on join. */
    more(measured: number): void {
      from = lastSent;
      last = lastSent;
      sent = measured;
    },
  };
}
