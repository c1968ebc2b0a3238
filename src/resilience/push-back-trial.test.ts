import { describe, expect, it } from 'vitest';
import { chanceRefusedOnlyAtLoad, createPushBackReader } from './push-back-trial.ts';

/** Requests in flight when requests left, answered and refused, as counts by that number. */
const loads = (answered: Record<number, number>, refused: Record<number, number>) => ({
  answered: new Map(Object.entries(answered).map(([held, n]) => [Number(held), n])),
  refused: new Map(Object.entries(refused).map(([held, n]) => [Number(held), n])),
});

/** Runs a trial from a limit of 32: `before` at it, then windows of 20 answers at the lower limit. */
function trial(before: { answers: number; drops: number }, dropsPerWindow: number) {
  const reader = createPushBackReader();
  reader.start(32, before);
  const window = { answers: 20, drops: dropsPerWindow };
  // The first window after the cut drains what the old limit left at the destination: not counted.
  const verdicts = [reader.feed({ answers: 20, drops: 20 }), reader.feed(window), reader.feed(window)];
  return { reader, verdicts };
}

describe('createPushBackReader', () => {
  it('cuts for a tenth pushed back while no background is known, and lets no push-back grow', () => {
    const reader = createPushBackReader();
    expect(reader.overloaded({ answers: 20, drops: 2 })).toBe(true);
    expect(reader.overloaded({ answers: 20, drops: 1 })).toBe(false);
    expect(reader.usual({ answers: 20, drops: 1 })).toBe(false);
    expect(reader.usual({ answers: 20, drops: 0 })).toBe(true);
  });

  it('finds the cut was for overload when the push-back fell with the limit', () => {
    const { reader, verdicts } = trial({ answers: 40, drops: 12 }, 1);
    expect(verdicts.map((verdict) => verdict.kind)).toEqual(['running', 'running', 'load']);
    expect(reader.background()).toBe(0);
    expect(reader.trying()).toBe(false);
  });

  it('takes a share that did not fall as the background, and goes back to the old limit', () => {
    const { reader, verdicts } = trial({ answers: 40, drops: 5 }, 3);
    expect(verdicts.at(-1)).toEqual({ kind: 'background', limit: 32 });
    expect(reader.background()).toBeCloseTo(11 / 80);
    // That share now neither cuts nor stops growth; one clearly above it still cuts.
    expect(reader.overloaded({ answers: 40, drops: 6 })).toBe(false);
    expect(reader.usual({ answers: 40, drops: 6 })).toBe(true);
    expect(reader.overloaded({ answers: 40, drops: 15 })).toBe(true);
  });

  it('never takes half the answers pushed back as a background', () => {
    const { reader, verdicts } = trial({ answers: 40, drops: 24 }, 12);
    expect(verdicts.at(-1)).toEqual({ kind: 'load' });
    expect(reader.background()).toBe(0);
  });

  it('lowers a background to what a later trial found left after its cut', () => {
    const reader = createPushBackReader();
    reader.start(32, { answers: 40, drops: 8 });
    for (const _ of [0, 1, 2]) reader.feed({ answers: 20, drops: 4 });
    expect(reader.background()).toBeCloseTo(0.2);
    reader.start(32, { answers: 40, drops: 30 });
    for (const _ of [0, 1, 2]) reader.feed({ answers: 20, drops: 1 });
    expect(reader.background()).toBeCloseTo(0.05);
  });

  it('starts a trial for a few push-backs in the last windows, without a background, though no window had a tenth', () => {
    const reader = createPushBackReader();
    reader.count({ answers: 100, drops: 1 });
    reader.count({ answers: 100, drops: 1 });
    expect(reader.lingering()).toBe(false);
    reader.count({ answers: 100, drops: 1 });
    expect(reader.lingering()).toBe(true);
    expect(reader.recent()).toEqual({ answers: 300, drops: 3 });
  });

  it('starts none for push-back now and then, a reset every few thousand answers', () => {
    const reader = createPushBackReader();
    for (let i = 0; i < 300; i++) {
      reader.count({ answers: 100, drops: i % 20 === 0 ? 1 : 0 });
      expect(reader.lingering()).toBe(false);
    }
  });

  it('counts as many answers after the cut as a small share needs to show its fall', () => {
    const reader = createPushBackReader();
    reader.start(32, { answers: 300, drops: 3 });
    reader.feed({ answers: 20, drops: 0 });
    // 3 of 300 falling to none is a fall of two standard errors past 4 × 300 / 3 = 400 answers after: the
    // trial waits for 5 × 300 / 3 = 500, where it used to judge after 40.
    for (let i = 0; i < 24; i++) expect(reader.feed({ answers: 20, drops: 0 })).toEqual({ kind: 'running' });
    expect(reader.feed({ answers: 20, drops: 0 })).toEqual({ kind: 'cap', limit: 32 });
    expect(reader.lingering()).toBe(false);
  });

  it('takes a share too small to tell a fall by as a cap when none came after the cut, as background when some did', () => {
    const none = createPushBackReader();
    none.start(32, { answers: 3_000, drops: 3 });
    none.feed({ answers: 20, drops: 0 });
    let verdict = none.feed({ answers: 1_000, drops: 0 });
    expect(verdict).toEqual({ kind: 'cap', limit: 32 });
    const some = createPushBackReader();
    some.start(32, { answers: 3_000, drops: 3 });
    some.feed({ answers: 20, drops: 0 });
    verdict = some.feed({ answers: 1_000, drops: 1 });
    expect(verdict).toEqual({ kind: 'background', limit: 32 });
    expect(some.background()).toBeCloseTo(4 / 4_000);
  });

  it('reads push-back that did not fall as load when only requests that left with the cap in flight were refused', () => {
    // From 16 against a cap of 8, a cut to 12 leaves a third refused where a half was: no fall on 40 answers.
    const atCap = createPushBackReader();
    atCap.start(16, { answers: 40, drops: 20 });
    atCap.feed({ answers: 20, drops: 10 });
    for (let i = 0; i < 40; i++) atCap.ended(i < 26 ? 7 : 8, i >= 26);
    expect(atCap.feed({ answers: 40, drops: 14 })).toEqual({ kind: 'load', cap: 8 });
    expect(atCap.background()).toBe(0);
    // The same counts, refused whatever was in flight: a background.
    const atRandom = createPushBackReader();
    atRandom.start(16, { answers: 40, drops: 20 });
    atRandom.feed({ answers: 20, drops: 10 });
    for (let i = 0; i < 40; i++) atRandom.ended(7 + (i % 2), i % 3 === 0);
    expect(atRandom.feed({ answers: 40, drops: 14 })).toEqual({ kind: 'background', limit: 16 });
  });

  it('takes push-back as a background when answered requests left with as many in flight as refused ones', () => {
    // A trial against nginx refusing an eighth at random: the refused ones left with more in flight than most
    // answered ones, far past chance, but answered ones left with up to 43 too.
    const trialLoads = loads(
      { 34: 6, 35: 27, 36: 9, 37: 11, 38: 6, 39: 12, 40: 1, 41: 4, 42: 2, 43: 4 },
      { 37: 1, 39: 1, 40: 1, 41: 6, 42: 2, 43: 1 },
    );
    expect(chanceRefusedOnlyAtLoad(trialLoads)).toBeLessThan(0.001);
    const reader = createPushBackReader();
    reader.start(48, { answers: 70, drops: 16 });
    reader.feed({ answers: 20, drops: 3 });
    for (const [held, n] of trialLoads.answered) for (let i = 0; i < n; i++) reader.ended(held, false);
    for (const [held, n] of trialLoads.refused) for (let i = 0; i < n; i++) reader.ended(held, true);
    expect(reader.feed({ answers: 94, drops: 12 })).toEqual({ kind: 'background', limit: 48 });
  });

  it('puts a cap it finds one over the fewest in flight that a refused request left with', () => {
    const reader = createPushBackReader();
    reader.ended(9, true);
    reader.ended(8, true);
    reader.ended(7, false);
    reader.start(12, { answers: 40, drops: 6 });
    reader.feed({ answers: 20, drops: 0 });
    expect(reader.feed({ answers: 200, drops: 0 })).toEqual({ kind: 'cap', limit: 9 });
  });
});

describe('chanceRefusedOnlyAtLoad', () => {
  it('is the chance that as many requests picked at random all left with that many in flight or more', () => {
    // 4 refused among 48, all at 8 in flight, where 6 answered ones left too: C(10, 4) / C(48, 4).
    expect(chanceRefusedOnlyAtLoad(loads({ 7: 38, 8: 6 }, { 8: 4 }))).toBeCloseTo(210 / 194_580, 6);
  });

  it('is near one when requests are refused at every load, and one when none are', () => {
    expect(chanceRefusedOnlyAtLoad(loads({ 5: 20, 6: 20, 7: 20 }, { 5: 2, 7: 2 }))).toBeGreaterThan(0.9);
    expect(chanceRefusedOnlyAtLoad(loads({ 5: 20 }, {}))).toBe(1);
  });
});
