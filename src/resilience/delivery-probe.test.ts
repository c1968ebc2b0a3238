import { describe, expect, it } from 'vitest';
import { createDeliveryProbe, paidOff } from './delivery-probe.ts';
import { limitReach } from './reach.ts';

describe('paidOff', () => {
  it('pays when the answers a ms rise by at least half as much as the requests held', () => {
    expect(paidOff({ held: 40, rate: 2 }, { held: 50, rate: 2.3 })).toBe(true);
    expect(paidOff({ held: 40, rate: 2 }, { held: 50, rate: 2.2 })).toBe(false);
  });

  it('compares nothing when the requests held barely rose', () => {
    expect(paidOff({ held: 40, rate: 2 }, { held: 43, rate: 4 })).toBe(false);
  });
});

describe('createDeliveryProbe', () => {
  it('waits one window, then keeps a probe that paid as a floor', () => {
    const probes = createDeliveryProbe();
    probes.start(40, { held: 40, rate: 2 });
    expect(probes.judge({ held: 50, rate: 2.5 }, 20)).toEqual({ kind: 'wait' });
    expect(probes.judge({ held: 50, rate: 2.5 }, 20)).toEqual({
      kind: 'paid',
      delivery: { held: 50, rate: 2.5 },
    });
    expect(probes.floor()).toBe(40);
    expect(probes.probing()).toBe(false);
  });

  it('finds the capacity from a probe that did not pay, and probes ever more rarely', () => {
    const probes = createDeliveryProbe();
    probes.start(64, { held: 64, rate: 3.2 });
    probes.judge(undefined, 20);
    // 80 held, no more answers: the destination holds 3.2 a ms × 20 ms without a queue.
    expect(probes.judge({ held: 80, rate: 3.2 }, 20)).toEqual({ kind: 'unpaid', from: 64, capacity: 64 });
    expect(probes.capacity()).toBe(64);
    const delivery = { held: 64, rate: 3.2 };
    // Twice the holds before the next probe.
    expect([1, 2, 3].map(() => probes.held(delivery))).toEqual([false, false, false]);
    expect(probes.held(delivery)).toBe(true);
  });

  it('forgets floor and capacity when the destination pushes back', () => {
    const probes = createDeliveryProbe();
    probes.start(40, { held: 40, rate: 2 });
    probes.flat();
    expect(probes.floor()).toBe(40);
    probes.forget();
    expect(probes.floor()).toBe(0);
    expect(probes.capacity()).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('limitReach', () => {
  it('lets the destination hold at most 1.6 times its answers a ms over the lowest round trip', () => {
    // A gate of 16 at 20 ms holding 27: its round trip reads 20 × 27 / 16 ms, so it answers 0.8 a ms.
    expect(limitReach(27, 27, (20 * 27) / 16, 20)).toBeCloseTo(1.6 * 16);
    // No queue, the lowest round trip a tenth under the mean: room for 1.45 times what it holds.
    expect(limitReach(40, 40, 22, 20)).toBeCloseTo((1.6 * 40 * 20) / 22);
  });

  it('counts the slots whose records are not at the destination on top', () => {
    // 20 records, 10 of them waiting out a retry's backoff: a slot more is at most one request more there.
    expect(limitReach(20, 10, 20, 20)).toBeCloseTo(20 + 0.6 * 10);
  });
});
