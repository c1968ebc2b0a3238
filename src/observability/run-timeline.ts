/** What happened in one slice of a run's time. */
export interface TimelinePoint {
  /** Start of the slice, in milliseconds since the run started. */
  readonly t: number;
  /** Records settled (delivered, skipped, quarantined or failed) in the slice. */
  readonly settled: number;
  /** Of those, quarantined or failed. */
  readonly deadLettered: number;
  readonly retries: number;
  /** 429s and quota headers at zero. */
  readonly rateLimited: number;
}

/** A run's activity over time, in slices of equal length: for a chart of records/s, retries and 429s. */
export interface RunTimeline {
  /** Length of each slice; the first slice starts at the run's start. */
  readonly intervalMs: number;
  /** Oldest first; slices in which nothing happened are there too, with zeros. */
  readonly points: readonly TimelinePoint[];
}

/** Collects a RunTimeline in bounded memory. */
export interface TimelineCollector {
  settled(deadLettered: boolean, count?: number): void;
  retry(): void;
  rateLimited(): void;
  toJSON(): RunTimeline;
}

type Counter = 'settled' | 'deadLettered' | 'retries' | 'rateLimited';

/**
 * Starts with one-second slices and, once there are `maxPoints`, merges them pairwise into slices twice
 * as long: a run of any length keeps at most `maxPoints` slices, and the chart of a short run stays fine.
 */
export function createTimelineCollector(options: {
  /** Milliseconds since the epoch when the run started. */
  readonly startedMs: number;
  /** Milliseconds since the epoch. */
  readonly clock: () => number;
  /** @default 1000 */
  readonly intervalMs?: number;
  /** @default 120 */
  readonly maxPoints?: number;
}): TimelineCollector {
  const maxPoints = Math.max(2, options.maxPoints ?? 120);
  let intervalMs = options.intervalMs ?? 1000;
  const slices: Record<Counter, number>[] = [];
  const empty = (): Record<Counter, number> => ({ settled: 0, deadLettered: 0, retries: 0, rateLimited: 0 });

  const sliceAt = (ms: number): Record<Counter, number> => {
    let index = Math.floor(Math.max(0, ms - options.startedMs) / intervalMs);
    while (index >= maxPoints) {
      for (let i = 0; i < slices.length; i += 2) {
        const a = slices[i] ?? empty();
        const b = slices[i + 1] ?? empty();
        slices[i / 2] = {
          settled: a.settled + b.settled,
          deadLettered: a.deadLettered + b.deadLettered,
          retries: a.retries + b.retries,
          rateLimited: a.rateLimited + b.rateLimited,
        };
      }
      slices.length = Math.ceil(slices.length / 2);
      intervalMs *= 2;
      index = Math.floor(Math.max(0, ms - options.startedMs) / intervalMs);
    }
    while (slices.length <= index) slices.push(empty());
    return slices[index]!;
  };
  const bump = (counter: Counter) => {
    sliceAt(options.clock())[counter]++;
  };

  return {
    settled(deadLettered, count = 1) {
      const slice = sliceAt(options.clock());
      slice.settled += count;
      if (deadLettered) slice.deadLettered += count;
    },
    retry: () => bump('retries'),
    rateLimited: () => bump('rateLimited'),
    toJSON: () => ({
      intervalMs,
      points: slices.map((slice, i) => ({ t: i * intervalMs, ...slice })),
    }),
  };
}
