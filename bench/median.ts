/**
 * The item in the middle when ordered by `value` (the upper middle of an even count): a real run, so its other
 * figures belong with the one ranked.
 */
export function medianBy<T>(items: readonly T[], value: (item: T) => number): T {
  if (items.length === 0) throw new Error('the median of nothing');
  const sorted = [...items].sort((a, b) => value(a) - value(b));
  return sorted[Math.floor(sorted.length / 2)]!;
}
