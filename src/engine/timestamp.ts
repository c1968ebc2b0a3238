let cachedSecond = Number.NaN;
let cachedText = '';

/** RFC 3339 in UTC with a Z, to the second: the form orderDate and firstMappedAt take. */
export function toSecondPrecision(date: Date): string {
  // Called for every record; thousands share a second, so the string is built once per second.
  const second = Math.floor(date.getTime() / 1000);
  if (second !== cachedSecond) {
    cachedSecond = second;
    cachedText = `${date.toISOString().slice(0, 19)}Z`;
  }
  return cachedText;
}
