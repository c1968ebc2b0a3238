/**
 * Share of a rate limit learned from a destination's headers that ferry paces at, leaving room for the clock
 * skew between the two: one process's limiter and a cluster's shared budget keep the same.
 */
export const LEARNED_LIMIT_HEADROOM = 0.98;
