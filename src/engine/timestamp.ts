/** RFC 3339 in UTC with a Z, to the second: the form orderDate and firstMappedAt take. */
export function toSecondPrecision(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}
