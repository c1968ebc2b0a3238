/** How a plain value is written as XML text: what the validator checks and the writer sends are the same. */
export function toLexical(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return 'NaN';
    if (!Number.isFinite(value)) return value > 0 ? 'INF' : '-INF';
    const text = String(value);
    // 1e21 and 1e-7 are what String() gives, but xs:decimal has no exponent: spell the digits out.
    if (!/e/i.test(text)) return text;
    return value.toLocaleString('en-US', { useGrouping: false, maximumFractionDigits: 100 });
  }
  return undefined;
}

/** A short description of a value's JSON type for messages ("an object", "a list"). */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}
