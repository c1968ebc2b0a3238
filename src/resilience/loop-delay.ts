/** What a loop-delay sampler measured. */
export interface LoopDelaySampler {
  /**
   * The wait this process's event loop added, on average, to something arriving at a random moment since
   * the last call (ms): an answer read late because the loop was busy with other work or the process did
   * not get a core.
   */
  take(): number;
  stop(): void;
}

/**
 * Samples how late a timer fires every `intervalMs`. A loop held for B ms makes one timer about B late,
 * and an answer arriving at a random moment of a span T waits B²/2T on average for it: the sum of the
 * squared lateness over twice the span is that wait, whatever made the loop late (ferry's own work, a
 * collection, another process on the core). Node's monitorEventLoopDelay reports intervals, not this.
 */
export function createLoopDelaySampler(
  options: { readonly intervalMs?: number; readonly now?: () => number } = {},
): LoopDelaySampler {
  const intervalMs = options.intervalMs ?? 10;
  const now = options.now ?? (() => performance.now());
  let since = now();
  let squares = 0;
  let due = since + intervalMs;
  let timer: NodeJS.Timeout | undefined;
  const arm = (): void => {
    timer = setTimeout(tick, intervalMs);
    // Never what keeps a process alive.
    timer.unref();
  };
  function tick(): void {
    const at = now();
    const late = Math.max(0, at - due);
    squares += late * late;
    due = at + intervalMs;
    arm();
  }
  arm();
  return {
    take() {
      const at = now();
      const span = at - since;
      const wait = span > 0 ? squares / (2 * span) : 0;
      since = at;
      squares = 0;
      return wait;
    },
    stop() {
      clearTimeout(timer);
    },
  };
}
