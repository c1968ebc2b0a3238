/** Slots of a counting semaphore: what the engine and the page processor send records under. */
export interface Slots {
  /** Resolves when a slot is free; the caller must release() it exactly once. */
  acquire(): Promise<void>;
  release(): void;
}

/** A counting semaphore: at most `size` holders at once, waiters served in order. */
export function createSlots(size: number): Slots {
  let free = Math.max(1, size);
  const waiters: Array<() => void> = [];
  return {
    /** Resolves when a slot is free; the caller must release() it exactly once. */
    acquire(): Promise<void> {
      if (free > 0) {
        free--;
        return Promise.resolve();
      }
      return new Promise((resolve) => waiters.push(resolve));
    },
    release(): void {
      const next = waiters.shift();
      if (next) next();
      else free++;
    },
  };
}
