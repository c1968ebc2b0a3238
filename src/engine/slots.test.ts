import { describe, expect, it } from 'vitest';
import type { ConcurrencyLimit } from '../core/concurrency-limit.ts';
import { createSlots } from './slots.ts';

/** A limit a test moves by hand. */
function movableLimit(initial: number) {
  let value = initial;
  const listeners = new Set<(limit: number) => void>();
  const limit: ConcurrencyLimit = {
    current: () => value,
    max: 100,
    adaptive: true,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  return {
    limit,
    set(next: number) {
      value = next;
      for (const listener of listeners) listener(next);
    },
  };
}

/** Starts n acquisitions; counts how many were granted. */
function acquireMany(slots: ReturnType<typeof createSlots>, n: number) {
  let granted = 0;
  for (let i = 0; i < n; i++) void slots.acquire().then(() => granted++);
  return () => granted;
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('createSlots', () => {
  it('holds a fixed number of holders at once', async () => {
    const slots = createSlots(3);
    const granted = acquireMany(slots, 5);
    await settle();
    expect(granted()).toBe(3);
    slots.release();
    await settle();
    expect(granted()).toBe(4);
  });

  it('lets waiters in at once when the limit rises', async () => {
    const { limit, set } = movableLimit(2);
    const slots = createSlots(limit);
    const granted = acquireMany(slots, 6);
    await settle();
    expect(granted()).toBe(2);
    set(5);
    await settle();
    expect(granted()).toBe(5);
  });

  it('pre-empts nobody when the limit falls, and lets nobody in until the holders are under it', async () => {
    const { limit, set } = movableLimit(4);
    const slots = createSlots(limit);
    const granted = acquireMany(slots, 6);
    await settle();
    expect(granted()).toBe(4);
    set(2);
    slots.release();
    slots.release();
    await settle();
    expect(granted()).toBe(4);
    slots.release();
    await settle();
    expect(granted()).toBe(5);
  });

  it('stops following the limit once disposed', async () => {
    const { limit, set } = movableLimit(1);
    const slots = createSlots(limit);
    const granted = acquireMany(slots, 3);
    slots.dispose();
    set(3);
    await settle();
    expect(granted()).toBe(1);
  });
});
