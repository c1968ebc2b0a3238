/** Percentiles of a latency distribution. */
export interface LatencySummary {
  readonly count: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

/** A fixed-memory latency histogram: counts per log-spaced bucket, whatever the number of samples. */
export interface LatencyHistogram {
  record(ms: number): void;
  /** The value at quantile q (0 < q <= 1), within the bucket's relative error; 0 when empty. */
  quantile(q: number): number;
  summary(): LatencySummary;
}

/** Smallest latency told apart; anything below lands in bucket 0. */
const MIN_MS = 0.01;

/**
 * Creates a log-bucket histogram (as HdrHistogram and DDSketch do): bucket i holds values in
 * [MIN * g^i, MIN * g^(i+1)), so each percentile is exact to about `relativeError`, memory is a few
 * thousand numbers at most, and a million samples cost what ten do.
 */
export function createLatencyHistogram(relativeError = 0.01): LatencyHistogram {
  const growth = 1 + 2 * relativeError;
  const logGrowth = Math.log(growth);
  const counts: number[] = [];
  let count = 0;
  let sum = 0;
  let min = Number.POSITIVE_INFINITY;
  let max = 0;

  const indexOf = (ms: number): number => (ms <= MIN_MS ? 0 : Math.floor(Math.log(ms / MIN_MS) / logGrowth));
  // The bucket's midpoint in log space is within relativeError of every value the bucket holds.
  const bucketValue = (index: number): number => MIN_MS * growth ** index * Math.sqrt(growth);

  return {
    record(ms) {
      if (!Number.isFinite(ms) || ms < 0) return;
      const i = indexOf(ms);
      // Sparse growth is fine: a JS array with holes is still indexed; fill to keep it packed.
      while (counts.length <= i) counts.push(0);
      counts[i] = (counts[i] ?? 0) + 1;
      count++;
      sum += ms;
      if (ms < min) min = ms;
      if (ms > max) max = ms;
    },
    quantile(q) {
      if (count === 0) return 0;
      const rank = Math.max(1, Math.ceil(Math.min(1, Math.max(0, q)) * count));
      let seen = 0;
      for (let i = 0; i < counts.length; i++) {
        seen += counts[i] ?? 0;
        if (seen >= rank) return Math.min(max, Math.max(min, bucketValue(i)));
      }
      return max;
    },
    summary() {
      const round = (v: number) => Math.round(v * 100) / 100;
      return {
        count,
        p50: round(this.quantile(0.5)),
        p90: round(this.quantile(0.9)),
        p99: round(this.quantile(0.99)),
        max: round(max),
        mean: count === 0 ? 0 : round(sum / count),
      };
    },
  };
}
